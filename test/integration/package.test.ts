/**
 * The package as a user gets it (issue 13, item 10): `npm pack`ed, unpacked into a fresh
 * consumer project's node_modules, with only the dependencies the packed package.json declares
 * (linked from this project's node_modules: no network), plus the optional peers a consumer
 * chooses to install. An ESM and a CommonJS consumer import it and run migrations on SQLite
 * (one a `.ts` migration importing 'dbdoctor'); the published types compile with
 * `skipLibCheck: false`; a consumer without a driver or without tsx is told what to install,
 * without a stack trace; a `.ts` migration outside any project that imports 'dbdoctor' is told
 * to install it. Needs `npm run build` first (the pack skips prepack to stay fast).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { onlyOn } from '../helpers/databases.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MODULES = path.join(ROOT, 'node_modules');
const run = promisify(execFile);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs node with `args` in `cwd`, with no DATABASE_URL from the environment. */
function node(args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A consumer project: the tarball unpacked as node_modules/dbdoctor, `links` linked from ours. */
async function consumer(root: string, name: string, tarball: string, links: string[]): Promise<string> {
  const dir = path.join(root, name);
  const pkg = path.join(dir, 'node_modules', 'dbdoctor');
  fs.mkdirSync(pkg, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  for (const l of links) {
    const at = path.join(dir, 'node_modules', l);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(path.join(MODULES, l), at, 'dir');
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  return dir;
}

const CLI = (dir: string) => path.join(dir, 'node_modules', 'dbdoctor', 'dist', 'cli', 'main.js');

const MIGRATIONS = {
  '001_t.sql': '-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n',
  '002_note.ts': `import { addColumn, defineMigration } from 'dbdoctor';
export default defineMigration({ ops: [addColumn('t', 'note', { type: 'text' })] });
`,
};

function writeMigrations(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
}

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    noEmit: true,
    types: ['node'],
  },
  files: ['index.ts'],
};

describe('the npm-packed package in a fresh consumer project', onlyOn('sqlite'), () => {
  let root: string;
  let tarball: string;
  let manifest: Record<string, Record<string, unknown>>;
  let full: string;
  let bare: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-pack-'));
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], {
      cwd: ROOT,
    });
    tarball = path.join(root, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    const probe = fs.mkdtempSync(path.join(root, 'manifest-'));
    await run('tar', ['-xzf', tarball, '-C', probe, '--strip-components=1', 'package/package.json']);
    manifest = JSON.parse(fs.readFileSync(path.join(probe, 'package.json'), 'utf8'));
    // Only what the packed package.json says it depends on: a missing declaration fails here.
    const declared = Object.keys(manifest.dependencies ?? {});
    full = await consumer(root, 'full', tarball, [
      ...declared,
      'better-sqlite3',
      'tsx',
      'typescript',
      '@types/node',
      '@types/better-sqlite3',
      '@types/pg',
    ]);
    bare = await consumer(root, 'bare', tarball, [...declared, 'typescript', '@types/node']);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('declares pg, better-sqlite3 and tsx as optional peers, and engines where require() of ESM works', () => {
    for (const p of ['pg', 'better-sqlite3', 'tsx']) {
      assert.ok(manifest.peerDependencies?.[p], `${p} is a peer dependency`);
      assert.deepEqual(manifest.peerDependenciesMeta?.[p], { optional: true });
      assert.equal(manifest.dependencies?.[p], undefined, `${p} is not a hard dependency`);
    }
    assert.equal((manifest.engines as Record<string, string>).node, '^20.19.0 || >=22.12.0');
    assert.equal(manifest.type, 'module');
    assert.ok(fs.existsSync(path.join(full, 'node_modules/dbdoctor/LICENSE')));
  });

  it('an ESM and a CommonJS consumer import it and run migrations (SQL and a .ts importing dbdoctor) on SQLite; the CLI agrees', async () => {
    writeMigrations(path.join(full, 'migrations'), MIGRATIONS);
    fs.writeFileSync(
      path.join(full, 'esm.mjs'),
      `import { migrate, status } from 'dbdoctor';
const r = await migrate({ database: 'sqlite:./esm.sqlite', dir: 'migrations', backup: { enabled: false } });
const s = await status({ database: 'sqlite:./esm.sqlite', dir: 'migrations' });
console.log(JSON.stringify({ applied: r.applied.map((a) => a.id), current: s.current }));
`,
    );
    fs.writeFileSync(
      path.join(full, 'cjs.cjs'),
      `const { migrate, status } = require('dbdoctor');
(async () => {
  const r = await migrate({ database: 'sqlite:./cjs.sqlite', dir: 'migrations', backup: { enabled: false } });
  const s = await status({ database: 'sqlite:./cjs.sqlite', dir: 'migrations' });
  console.log(JSON.stringify({ applied: r.applied.map((a) => a.id), current: s.current, required: typeof require('dbdoctor/sessions').SESSIONS_HISTORY_TABLE }));
})();
`,
    );
    const [esm, cjs] = await Promise.all([node(['esm.mjs'], full), node(['cjs.cjs'], full)]);
    assert.equal(esm.code, 0, esm.stderr);
    assert.deepEqual(JSON.parse(esm.stdout), { applied: ['001', '002'], current: '002' });
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.deepEqual(JSON.parse(cjs.stdout), { applied: ['001', '002'], current: '002', required: 'string' });
    assert.doesNotMatch(cjs.stderr, /ExperimentalWarning|ERR_REQUIRE_ESM/);
    const cliStatus = await node([CLI(full), 'status', '--json', '--url', 'sqlite:./cjs.sqlite'], full);
    assert.equal(cliStatus.code, 0, cliStatus.stderr);
    assert.equal(JSON.parse(cliStatus.stdout).current, '002');
  });

  it('the published types compile with skipLibCheck false: the main entry with @types/node alone, dbdoctor/sessions with the driver types', async () => {
    const source = `import { addColumn, defineMigration, migrate, type FunctionMigration } from 'dbdoctor';
const fn: FunctionMigration = { up: async (ctx) => { await ctx.sql('SELECT 1'); } };
const ops = defineMigration({ ops: [addColumn('t', 'x', { type: 'integer' })] });
const r = await migrate({ database: 'sqlite:./x.sqlite', dir: 'migrations' });
export const n: number = r.applied.length;
export { fn, ops };
`;
    fs.writeFileSync(path.join(bare, 'index.ts'), source);
    fs.writeFileSync(path.join(bare, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    fs.writeFileSync(
      path.join(full, 'index.ts'),
      `${source}import { SESSIONS_HISTORY_TABLE } from 'dbdoctor/sessions';\nexport const h: string = SESSIONS_HISTORY_TABLE;\n`,
    );
    fs.writeFileSync(path.join(full, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    const tsc = (dir: string) => node([path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
    const [main, sessions] = await Promise.all([tsc(bare), tsc(full)]);
    assert.equal(main.code, 0, main.stdout + main.stderr);
    assert.equal(sessions.code, 0, sessions.stdout + sessions.stderr);
  });

  it('without a driver or tsx, the CLI says which package to install: DRIVER_MISSING / TSX_MISSING, exit 1, no stack trace', async () => {
    writeMigrations(path.join(bare, 'migrations'), { '001_t.sql': MIGRATIONS['001_t.sql'] });
    const sqlite = await node([CLI(bare), 'apply', '--no-backup', '--url', 'sqlite:./app.sqlite'], bare);
    assert.equal(sqlite.code, 1, sqlite.stderr);
    assert.match(sqlite.stderr, /DRIVER_MISSING[\s\S]*\(the npm package better-sqlite3\) is not installed/);
    assert.match(sqlite.stderr, /npm install better-sqlite3/);
    assert.ok(!fs.existsSync(path.join(bare, 'app.sqlite')));
    const pg = await node([CLI(bare), 'status', '--url', 'postgres://u:secret@127.0.0.1:1/app'], bare);
    assert.equal(pg.code, 1, pg.stderr);
    assert.match(
      pg.stderr,
      /DRIVER_MISSING[\s\S]*the PostgreSQL driver \(the npm package pg\)[\s\S]*npm install pg/,
    );
    assert.doesNotMatch(pg.stderr, /secret/);
    writeMigrations(path.join(bare, 'ts-migrations'), MIGRATIONS);
    const ts = await node([CLI(bare), 'sql', '--dialect', 'postgres', '--dir', 'ts-migrations'], bare);
    assert.equal(ts.code, 1, ts.stderr);
    assert.match(ts.stderr, /TSX_MISSING[\s\S]*002_note\.ts[\s\S]*npm install -D tsx/);
    for (const r of [sqlite, pg, ts]) assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    // The library says the same, as an error with a code.
    fs.writeFileSync(
      path.join(bare, 'lib.mjs'),
      `import { status } from 'dbdoctor';
try { await status({ database: 'postgres://u@127.0.0.1:1/app', dir: 'migrations' }); } catch (e) { console.log(e.code); }
`,
    );
    const lib = await node(['lib.mjs'], bare);
    assert.equal(lib.stdout.trim(), 'DRIVER_MISSING', lib.stderr);
  });

  it('a .ts migration outside any project that imports dbdoctor is told to install it', async () => {
    const outside = path.join(root, 'outside');
    writeMigrations(path.join(outside, 'migrations'), MIGRATIONS);
    const r = await node(
      [
        CLI(full),
        'apply',
        '--no-backup',
        '--url',
        `sqlite:${path.join(outside, 'x.sqlite')}`,
        '--dir',
        'migrations',
      ],
      outside,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BAD_MIGRATION[\s\S]*002_note\.ts[\s\S]*npm i -D dbdoctor/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});
