/**
 * Read-only means read-only (issue 13, item 4): `apply --dry-run`, `lint`, `sql`, `status`,
 * `history`, `schema` and `doctor` without `--fix` create no file (no database file, no lock
 * table, no cache inside the project) and no table, schema or database. Each command runs as
 * the built CLI; the project folder and the database's objects are listed before and after.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addColumn } from '../../src/index.js';
import {
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  rawExec,
  rawQuery,
  type TestDatabase,
} from '../helpers/databases.js';

const READ_ONLY: readonly string[][] = [
  ['apply', '--dry-run'],
  ['lint'],
  ['sql'],
  ['status'],
  ['history'],
  ['schema'],
  ['doctor'],
];

/** Every file and folder under `dir` with a hash of each file's bytes. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (e.isDirectory()) {
        out.push(`${rel}/`);
        walk(full);
      } else
        out.push(`${rel} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 12)}`);
    }
  };
  walk(dir);
  return out;
}

/**
 * Every object the database holds (tables, indexes, sequences, schemas). The doctor's scratch
 * databases on the server are not listed: other tests create theirs at the same time, and
 * their removal has tests of its own.
 */
async function objects(db: TestDatabase): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const rows = await rawQuery(db, 'SELECT type, name FROM sqlite_master ORDER BY type, name');
    return rows.map((r) => `${r.type} ${r.name}`);
  }
  if (db.dialect === 'mysql') {
    // The test database's tables, views, indexes, triggers and routines (MySQL has no sequences
    // or schemas inside a database).
    const rows = await rawQuery(
      db,
      `SELECT CONCAT('relation ', table_type, ' ', table_name) AS o FROM information_schema.tables WHERE table_schema = DATABASE()
       UNION ALL SELECT CONCAT('index ', table_name, '.', index_name, ' ', seq_in_index) FROM information_schema.statistics WHERE table_schema = DATABASE()
       UNION ALL SELECT CONCAT('trigger ', trigger_name) FROM information_schema.triggers WHERE trigger_schema = DATABASE()
       UNION ALL SELECT CONCAT('routine ', routine_name) FROM information_schema.routines WHERE routine_schema = DATABASE()
       ORDER BY 1`,
    );
    return rows.map((r) => String(r.o));
  }
  const rows = await rawQuery(
    db,
    `SELECT 'relation ' || n.nspname || '.' || c.relname AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
     UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
     ORDER BY 1`,
  );
  return rows.map((r) => String(r.o));
}

const BASE = `-- migrate:up
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
INSERT INTO t (id, a) VALUES (1, 'x');

-- migrate:down
DROP TABLE t;
`;

function project(root: string): { dir: string; cache: string } {
  const dir = path.join(root, 'project', 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '001_base.sql'), BASE);
  fs.writeFileSync(
    path.join(dir, '002_note.mjs'),
    `export default ${JSON.stringify({ ops: [addColumn('t', 'note', { type: 'text' })] })};\n`,
  );
  const cache = path.join(root, 'user-cache');
  return { dir, cache };
}

describe('read-only commands create nothing', () => {
  it('SQLite: a database file that does not exist is not created by any of them', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-read-only-'));
    try {
      const { dir, cache } = project(root);
      const cwd = path.dirname(dir);
      const before = listing(cwd);
      for (const args of READ_ONLY) {
        const r = await cli([...args, '--url', 'sqlite:./app.sqlite'], {
          cwd,
          env: { DBDOCTOR_CACHE_DIR: cache },
        });
        assert.deepEqual(listing(cwd), before, `${args.join(' ')} changed the project folder`);
        if (['history', 'schema', 'doctor'].includes(args[0]!)) {
          assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, /DB_NOT_FOUND[\s\S]*No file was created/);
        } else assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      // What they said is what apply would do to the empty database it would create.
      const dry = await cli(['apply', '--dry-run', '--url', 'sqlite:./app.sqlite'], { cwd });
      assert.match(dry.stdout, /^database: sqlite:.*app\.sqlite \(does not exist yet\)$/m);
      assert.match(dry.stdout, /would apply 001_base\nwould apply 002_note/);
      const sql = await cli(['sql', '--url', 'sqlite:./app.sqlite'], { cwd });
      assert.match(sql.stdout, /CREATE TABLE t[\s\S]*ALTER TABLE "t" ADD COLUMN "note"/);
      const status = await cli(['status', '--json', '--url', 'sqlite:./app.sqlite'], { cwd });
      assert.equal(status.json<{ exists: boolean; pending: unknown[] }>().exists, false);
      assert.ok(!fs.existsSync(path.join(cwd, 'app.sqlite')));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  for (const dialect of DIALECTS.filter((d) => !capabilitiesOf(d).createsDatabase)) {
    it(`${dialect}: a database apply would not create is DB_NOT_FOUND for every read-only command too, never "would apply"`, async () => {
      const db = await createTestDatabase(dialect);
      try {
        const { dir } = project(db.dir);
        const missing = new URL(db.url);
        missing.pathname = `/${missing.pathname.slice(1)}_absent`;
        const url = missing.toString();
        const applied = await cli(['apply', '--url', url, '--dir', dir]);
        assert.equal(applied.code, 1, applied.stderr);
        assert.match(applied.stderr, /DB_NOT_FOUND/);
        for (const args of [['status'], ['apply', '--dry-run'], ['sql'], ['lint']]) {
          const r = await cli([...args, '--url', url, '--dir', dir]);
          assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
          assert.match(r.stderr, /error \[DB_NOT_FOUND\]/, args.join(' '));
          assert.doesNotMatch(r.stdout, /would apply|does not exist yet/, args.join(' '));
        }
      } finally {
        await db.drop();
      }
    });
  }

  for (const dialect of DIALECTS) {
    it(`${dialect}: an existing database keeps its bytes and objects; the doctor's cache is in the user's cache folder`, async () => {
      const db = await createTestDatabase(dialect);
      try {
        const { dir, cache } = project(db.dir);
        const cwd = path.dirname(dir);
        const env = { DBDOCTOR_CACHE_DIR: cache };
        const run = (args: string[]) => cli([...args, '--url', db.url, '--no-backup'], { cwd, env });
        assert.equal((await run(['apply', '--to', '001'])).code, 0);
        // A database apply never took the lock on (migrated by an older runner): no lock table.
        if (dialect !== 'postgres') await rawExec(db, 'DROP TABLE dbdoctor_migrations_lock');
        const files = listing(db.dir).filter((l) => !l.startsWith('user-cache'));
        const before = await objects(db);
        assert.ok(before.some((o) => /\bt$/.test(o)));
        for (const args of READ_ONLY) {
          const r = await cli([...args, '--url', db.url], { cwd, env });
          assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /INTERNAL/);
          assert.deepEqual(
            listing(db.dir).filter((l) => !l.startsWith('user-cache')),
            files,
            `${args.join(' ')} changed a file (the database file, or one in the project)`,
          );
          assert.deepEqual(
            await objects(db),
            before,
            `${args.join(' ')} created or dropped a database object`,
          );
        }
        const dry = await cli(['apply', '--dry-run', '--url', db.url], { cwd, env });
        assert.match(dry.stdout, /would apply 002_note/);
        assert.doesNotMatch(dry.stdout, /does not exist yet/);
        // The doctor's expected schemas went to the user's cache folder, and are read from there.
        assert.ok(
          fs
            .readdirSync(cache)
            .some((d) => fs.readdirSync(path.join(cache, d)).some((f) => f.startsWith('expected-'))),
        );
        const again = await cli(['doctor', '--json', '--url', db.url], { cwd, env });
        assert.equal(again.json<{ cached: boolean }>().cached, true, again.stderr);
      } finally {
        await db.drop();
      }
    });
  }
});
