/**
 * The dialect boundary, enforced: one folder per dialect under src/dialects/, registered by
 * src/dialects/builtin.ts alone; the core (migrations/, schema/, ops/, doctor/, schema as
 * code: dump/, generate/, schema-file/, and the other tools' formats/ and adopt/) speaks only the
 * contract (dialect.ts) and the registry, and never branches on a dialect's name; schema/ is pure.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import '../../src/dialects/builtin.js';
import { parseDatabaseUrl } from '../../src/config/url.js';
import type { Dialect } from '../../src/dialects/dialect.js';
import { dialectNamed, dialectNames, registeredDialects } from '../../src/dialects/registry.js';
import { isDbDoctorError } from '../../src/errors.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const DIALECTS = path.join(SRC, 'dialects');
const REGISTRATION = 'dialects/builtin.ts';
const CORE = ['migrations', 'schema', 'ops', 'doctor', 'dump', 'generate', 'schema-file', 'formats', 'adopt'];

/**
 * Files allowed to import the registration: the CLI entry and the library's entries (the
 * package's and dbdoctor/sessions').
 */
const REGISTRATION_IMPORTERS = new Set(['cli/main.ts', 'index.ts', 'sessions/index.ts']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports, side-effect and dynamic imports. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]/g))
    out.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

interface Edge {
  /** Importing file, relative to src/. */
  from: string;
  /** The specifier as written. */
  spec: string;
  /** The imported file relative to src/, or null for a package. */
  to: string | null;
}

const edges: Edge[] = sourceFiles(SRC).flatMap((file) => {
  const from = path.relative(SRC, file);
  return specifiers(fs.readFileSync(file, 'utf8')).map((spec) => {
    if (!spec.startsWith('.')) return { from, spec, to: null };
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    return { from, spec, to: path.relative(SRC, target) };
  });
});

/** The dialect folder a src/-relative path lies in (`sqlite`), or null. */
function dialectFolder(rel: string): string | null {
  const parts = rel.split(path.sep);
  return parts[0] === 'dialects' && parts.length > 2 ? parts[1] : null;
}

const top = (rel: string) => rel.split(path.sep)[0];

describe('dialect boundaries', () => {
  it('the walk sees the imports it is meant to police (it can fail)', () => {
    assert.ok(
      edges.some((e) => e.from === REGISTRATION && e.to !== null && dialectFolder(e.to) === 'sqlite'),
    );
    assert.ok(edges.some((e) => e.from === 'index.ts' && e.to === REGISTRATION));
    assert.ok(edges.some((e) => e.from.startsWith('ops') && e.to === 'dialects/registry.ts'));
  });

  it('the core (migrations/, schema/, ops/, doctor/, dump/, generate/, schema-file/) imports no dialect folder and not the registration', () => {
    const bad = edges.filter(
      (e) =>
        CORE.includes(top(e.from)) &&
        e.to !== null &&
        (dialectFolder(e.to) !== null || e.to === REGISTRATION),
    );
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.spec}`),
      [],
    );
  });

  it('only the registration file imports a dialect folder from outside it', () => {
    const bad = edges.filter((e) => {
      if (e.to === null) return false;
      const target = dialectFolder(e.to);
      if (target === null || dialectFolder(e.from) === target) return false;
      return e.from !== REGISTRATION;
    });
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.spec}`),
      [],
    );
  });

  it('only the CLI entry and the library index import the registration', () => {
    const bad = edges.filter((e) => e.to === REGISTRATION && !REGISTRATION_IMPORTERS.has(e.from));
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.spec}`),
      [],
    );
  });

  it('the registry and the contract import no dialect folder', () => {
    const bad = edges.filter(
      (e) =>
        (e.from === 'dialects/registry.ts' ||
          e.from === 'dialects/dialect.ts' ||
          e.from === 'dialects/open.ts') &&
        e.to !== null &&
        dialectFolder(e.to) !== null,
    );
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.spec}`),
      [],
    );
  });

  it('src/sessions/ holds no SQL and never branches on a SQL dialect: the statements live in each dialect folder (sessions.ts)', () => {
    const found: string[] = [];
    const names = dialectNames();
    for (const file of sourceFiles(path.join(SRC, 'sessions'))) {
      const text = fs.readFileSync(file, 'utf8');
      const rel = path.relative(SRC, file);
      for (const m of text.matchAll(
        /\b(?:SELECT\s+[\w*(]|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|ON\s+CONFLICT|CREATE\s+TABLE)/g,
      ))
        found.push(`${rel}: ${m[0]}`);
      for (const name of names)
        for (const m of text.matchAll(new RegExp(`['"]${name}(?:ql)?['"]`, 'g')))
          found.push(`${rel}: ${m[0]}`);
    }
    assert.deepEqual(found, []);
    // The walk can fail: the SQLite role file holds exactly such statements.
    assert.match(fs.readFileSync(path.join(DIALECTS, 'sqlite', 'sessions.ts'), 'utf8'), /INSERT\s+INTO/);
  });

  it('schema/ is pure: no I/O, no driver, nothing outside schema/ but node:crypto', () => {
    const bad = edges.filter(
      (e) => top(e.from) === 'schema' && (e.to === null ? e.spec !== 'node:crypto' : top(e.to) !== 'schema'),
    );
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.spec}`),
      [],
    );
  });

  it('the core never compares with a dialect name (it reads capabilities)', () => {
    const names = dialectNames();
    const found: string[] = [];
    for (const folder of CORE) {
      for (const file of sourceFiles(path.join(SRC, folder))) {
        const text = fs.readFileSync(file, 'utf8');
        for (const name of names) {
          // A quoted name in code: a comparison, a default or a lookup by name; or a URL of the
          // dialect ('sqlite::memory:'), which opens that dialect whatever the user's is.
          for (const m of text.matchAll(new RegExp(`['"]${name}(?:ql)?(?:['"]|:)`, 'g')))
            found.push(`${path.relative(SRC, file)}: ${m[0]}`);
        }
      }
    }
    assert.deepEqual(found, []);
  });

  it('every dialect folder has the same role files, and index.ts exports its Dialect', () => {
    const roles = [
      'index.ts',
      'url.ts',
      'driver.ts',
      'quote.ts',
      'split.ts',
      'history.ts',
      'session.ts',
      'lock.ts',
      'introspect.ts',
      'scratch.ts',
      'compile.ts',
      'health.ts',
    ];
    const folders = fs
      .readdirSync(DIALECTS, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    assert.ok(folders.length >= 2);
    for (const folder of folders) {
      const files = new Set(fs.readdirSync(path.join(DIALECTS, folder)));
      assert.deepEqual(
        roles.filter((r) => !files.has(r)),
        [],
        `src/dialects/${folder} lacks role files`,
      );
    }
    assert.deepEqual(
      registeredDialects()
        .map((d) => d.name)
        .sort(),
      [...folders].sort(),
    );
  });

  it('an optional role is a role file exactly where the dialect provides it', () => {
    // [role file, the Dialect member it implements]
    const optional: [string, (d: Dialect) => unknown][] = [
      ['backup.ts', (d) => d.backup],
      ['phased.ts', (d) => d.phased],
      ['schema-sql.ts', (d) => d.schemaSql],
      ['sessions.ts', (d) => d.sessions],
    ];
    for (const dialect of registeredDialects()) {
      const files = new Set(fs.readdirSync(path.join(DIALECTS, dialect.name)));
      for (const [file, member] of optional)
        assert.equal(
          files.has(file),
          member(dialect) !== undefined,
          `src/dialects/${dialect.name}: ${file} and the Dialect member it implements go together`,
        );
    }
  });
});

describe('the registry', () => {
  it('an unknown dialect is an error naming the known ones, never another dialect', () => {
    assert.throws(
      () => dialectNamed('oracle'),
      (e) => isDbDoctorError(e) && e.code === 'BAD_USAGE' && /sqlite, postgres/.test(e.hint ?? ''),
    );
    assert.throws(
      () => parseDatabaseUrl('oracle://db.example/app'),
      (e) => isDbDoctorError(e) && e.code === 'BAD_URL' && /"oracle:" is not supported/.test(e.message),
    );
  });

  it('every declared capability is read by the core', () => {
    const core = CORE.flatMap((folder) => sourceFiles(path.join(SRC, folder)))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    for (const dialect of registeredDialects()) {
      for (const capability of Object.keys(dialect.capabilities)) {
        assert.match(
          core,
          new RegExp(
            `capabilities\\.${capability}\\b|\\{[^}]*\\b${capability}\\b[^}]*\\} = [a-z.]*capabilities`,
          ),
          capability,
        );
      }
    }
  });
});
