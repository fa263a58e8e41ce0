/**
 * "One dialect = one folder", proved by the compiler rather than by an import walk: a copy of
 * src/ without src/dialects/mysql/ and without its registration in src/dialects/builtin.ts
 * compiles, so nothing outside the folder needs MySQL (boundaries.test.ts polices the imports
 * file by file; this catches anything the walk's patterns would miss).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const REMOVED = 'mysql';

/** The lines of builtin.ts that register the removed dialect: its import and its registerDialect call. */
const REGISTRATION_LINE = new RegExp(
  `^(?:import \\{ ${REMOVED}Dialect \\} from '\\./${REMOVED}/index\\.js';|registerDialect\\(${REMOVED}Dialect\\);)$`,
);

describe(`one dialect is one folder: src/ compiles without src/dialects/${REMOVED}/`, () => {
  let copy: string;

  before(() => {
    // Real path: tsc lists files by it (a temporary folder may sit behind a symlink, as on macOS).
    copy = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-without-dialect-')));
    fs.cpSync(path.join(ROOT, 'src'), path.join(copy, 'src'), { recursive: true });
    // package.json says the sources are ES modules (NodeNext reads "type"); node_modules has the types.
    for (const file of ['tsconfig.json', 'package.json'])
      fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });

  after(() => {
    fs.rmSync(copy, { recursive: true, force: true });
  });

  it(`removing the folder and its registration lines leaves a program tsc accepts`, async () => {
    const folder = path.join(copy, 'src', 'dialects', REMOVED);
    assert.ok(fs.statSync(folder).isDirectory(), `src/dialects/${REMOVED}/ exists to be removed`);
    fs.rmSync(folder, { recursive: true });

    const builtin = path.join(copy, 'src', 'dialects', 'builtin.ts');
    const lines = fs.readFileSync(builtin, 'utf8').split('\n');
    const kept = lines.filter((line) => !REGISTRATION_LINE.test(line));
    // Its import and its registration, nothing else: a dialect is registered by one line.
    assert.equal(lines.length - kept.length, 2, 'builtin.ts imports and registers the dialect, once each');
    assert.ok(
      !kept.some((line) => line.includes(`./${REMOVED}/`)),
      `builtin.ts names src/dialects/${REMOVED}/ elsewhere than in its registration`,
    );
    fs.writeFileSync(builtin, kept.join('\n'));

    let listed: string;
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [TSC, '-p', path.join(copy, 'tsconfig.json'), '--noEmit', '--listFiles', '--pretty', 'false'],
        { cwd: copy, maxBuffer: 64 * 1024 * 1024 },
      );
      listed = stdout;
    } catch (e) {
      const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
      const errors = `${stdout}${stderr}`
        .split('\n')
        .filter((line) => line.includes('error TS'))
        .map((line) => line.replace(`${copy}${path.sep}`, ''));
      assert.fail(`Without src/dialects/${REMOVED}/, src/ does not compile:\n${errors.join('\n') || stderr}`);
    }
    // The compiler read the whole program, entries included, and nothing of the removed folder.
    const files = listed.split('\n').map((f) => path.relative(copy, f.trim()));
    for (const entry of [
      'src/index.ts',
      'src/cli/main.ts',
      'src/dialects/builtin.ts',
      'src/doctor/doctor.ts',
    ])
      assert.ok(files.includes(entry.split('/').join(path.sep)), `tsc compiled ${entry}`);
    assert.deepEqual(
      files.filter((f) => f.startsWith(path.join('src', 'dialects', REMOVED))),
      [],
    );
  });
});
