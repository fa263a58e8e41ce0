/**
 * A SQLite rebuild copies every row and every stored column, exactly: 64-bit and negative
 * rowids through the ranged copy, a user column named rowid, defaults whose text looks like a
 * generated column, WITHOUT ROWID tables; the row-count net; recreated triggers and views that
 * no longer compile. Small `copyBatchRows` make small tables take the ranged path.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Connection } from '../../src/dialects/dialect.js';
import { openConnection } from '../../src/dialects/open.js';
import { runSqliteOperations as runOperations } from '../../src/dialects/sqlite/compile.js';
import { type RebuildProgress, readTableParts, rebuildTable } from '../../src/dialects/sqlite/rebuild.js';
import { addColumn, alterColumn, dropColumn, migrate, type Operation } from '../../src/index.js';
import { cli, createTestDatabase, onlyOn, type TestDatabase } from '../helpers/databases.js';

const fileOf = (db: TestDatabase) => db.url.replace(/^sqlite:/, '');

/** Every row of `table` with exact integers, the real rowid first when `rowid` names it. */
function contents(db: TestDatabase, table: string, rowid: string | null = '_rowid_'): unknown[] {
  const raw = new Database(fileOf(db), { readonly: true });
  try {
    const sql = rowid
      ? `SELECT ${rowid} AS real_rowid, * FROM "${table}" ORDER BY ${rowid}`
      : `SELECT * FROM "${table}" ORDER BY 1, 2`;
    return raw.prepare(sql).safeIntegers(true).all();
  } finally {
    raw.close();
  }
}

function exec(db: TestDatabase, sql: string): void {
  const raw = new Database(fileOf(db));
  try {
    raw.exec(sql);
  } finally {
    raw.close();
  }
}

/** Runs `fn` in one transaction with foreign keys off, as a migration does. */
async function inRebuildTransaction(
  db: TestDatabase,
  fn: (conn: Connection) => Promise<void>,
): Promise<void> {
  const conn = await openConnection(db.url);
  // As the engine runs every SQLite migration: enforcement off outside the transaction.
  const guard = await conn.dialect.guardMigration(conn);
  try {
    await conn.begin();
    try {
      await fn(conn);
      await conn.commit();
    } catch (e) {
      await conn.rollback();
      throw e;
    }
  } finally {
    await guard?.restore();
    await conn.close();
  }
}

async function runOps(db: TestDatabase, ops: Operation[], copyBatchRows: number): Promise<RebuildProgress[]> {
  const progress: RebuildProgress[] = [];
  await inRebuildTransaction(db, async (conn) => {
    await runOperations(conn, ops, { copyBatchRows, onProgress: (p) => progress.push(p) });
  });
  return progress;
}

/** A deterministic stream of 64-bit signed integers (xorshift64). */
function* random64(seed: bigint): Generator<bigint> {
  let x = seed;
  const mask = (1n << 64n) - 1n;
  for (;;) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    yield BigInt.asIntN(64, x);
  }
}

const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);
const P53 = 1n << 53n;

const touchV = alterColumn('t', 'v', { nullable: false, default: '' }, { nullable: true, default: null });

describe('SQLite rebuilds copy every row exactly', onlyOn('sqlite'), () => {
  it('ids near 2^63-1 and -2^63, beyond ±2^53 and random 64-bit ids all survive a ranged copy', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const ids = new Set<bigint>();
      for (let i = 0n; i < 40n; i++) {
        ids.add(MAX - i);
        ids.add(MIN + i);
        ids.add(P53 + i); // 2^53 + 1 and + 3 are the same JavaScript number as their neighbours
        ids.add(-P53 - i);
      }
      const gen = random64(0x9e3779b97f4a7c15n);
      while (ids.size < 1000) ids.add(gen.next().value as bigint);
      exec(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      const raw = new Database(fileOf(db));
      const insert = raw.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
      raw.transaction(() => {
        for (const id of ids) insert.run(id, `v${id}`);
      })();
      raw.close();
      const before = contents(db, 't');
      const progress = await runOps(db, [touchV], 7);
      assert.deepEqual(contents(db, 't'), before);
      assert.equal(progress.length, Math.ceil(1000 / 7), 'one report per range');
      assert.deepEqual(progress.at(-1), { table: 't', copied: 1000, total: 1000 });
      assert.ok(
        progress.every((p, i) => p.copied === Math.min(1000, (i + 1) * 7)),
        'progress counts the rows each range copied',
      );
    } finally {
      await db.drop();
    }
  });

  it('the AUTOINCREMENT mark stays an exact integer beyond 2^53: a deleted top id is never handed out again', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const top = P53 + 1n; // the same JavaScript number as 2^53
      exec(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
      exec(db, `INSERT INTO t (id, v) VALUES (1, 'a'), (${top}, 'b'); DELETE FROM t WHERE id = ${top};`);
      await runOps(db, [touchV], 250_000);
      const raw = new Database(fileOf(db));
      try {
        const mark = raw
          .prepare("SELECT seq, typeof(seq) AS type FROM sqlite_sequence WHERE name = 't'")
          .safeIntegers(true)
          .get();
        assert.deepEqual(mark, { seq: top, type: 'integer' });
        const next = raw.prepare("INSERT INTO t (v) VALUES ('c')").safeIntegers(true).run();
        assert.equal(next.lastInsertRowid, top + 1n);
      } finally {
        raw.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('a user column named rowid neither hides the real rowid nor loses rows; rowids are kept', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      exec(
        db,
        `CREATE TABLE t (rowid TEXT, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO t (_rowid_, rowid, v) SELECT i * 1000003 % 7919 - 4000, 'user ' || (300 - i), 'v' || i FROM n;`,
      );
      const before = contents(db, 't');
      await runOps(db, [touchV], 11);
      assert.deepEqual(contents(db, 't'), before);
    } finally {
      await db.drop();
    }
  });

  it('columns named rowid, _rowid_ and oid hide the rowid: one statement copies every row', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      exec(
        db,
        `CREATE TABLE t (rowid INTEGER, _rowid_ INTEGER, oid INTEGER, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO t SELECT -i, i % 3, 7, 'v' || i FROM n;`,
      );
      const before = contents(db, 't', null);
      const progress = await runOps(db, [touchV], 7);
      assert.deepEqual(contents(db, 't', null), before);
      assert.deepEqual(progress, [{ table: 't', copied: 50, total: 50 }]);
    } finally {
      await db.drop();
    }
  });

  it('a WITHOUT ROWID table is copied whole, every row', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      exec(
        db,
        `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO t SELECT i * 9007199254740993 % 9223372036854775783, 'v' || i FROM n;`,
      );
      const before = contents(db, 't', null);
      await runOps(db, [touchV], 7);
      assert.deepEqual(contents(db, 't', null), before);
    } finally {
      await db.drop();
    }
  });

  it("a default like 'Same as (billing)' is not a generated column: its data is copied; generated columns are recomputed", async () => {
    const db = await createTestDatabase('sqlite');
    try {
      exec(
        db,
        `CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  ship_to TEXT DEFAULT 'Same as (billing)',
  note TEXT DEFAULT 'generated always as (x)',
  total REAL,
  twice REAL AS (total * 2),
  plus_one REAL GENERATED ALWAYS AS (total + 1) STORED
);
INSERT INTO orders (ship_to, note, total) VALUES ('12 Main St', 'fragile', 10), ('PO Box 9', 'as (is)', 2.5);`,
      );
      const before = contents(db, 'orders');
      await runOps(db, [alterColumn('orders', 'total', { default: 0 }, { default: null })], 250_000);
      assert.deepEqual(contents(db, 'orders'), before);
    } finally {
      await db.drop();
    }
  });

  it('the row-count net: a new definition that silently drops rows aborts the rebuild and changes nothing', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      exec(
        db,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('a'), ('b');",
      );
      const before = contents(db, 't');
      await assert.rejects(
        inRebuildTransaction(db, async (conn) => {
          const parts = await readTableParts(conn, 't');
          await rebuildTable(conn, 't', {
            ...parts,
            items: [...parts.items, 'UNIQUE (v) ON CONFLICT IGNORE'],
          });
        }),
        (e: { code?: string; message: string }) => {
          assert.equal(e.code, 'REBUILD_ROW_COUNT_MISMATCH');
          assert.match(e.message, /copied 2 row\(s\) into a table that holds 2, but "t" holds 3/);
          return true;
        },
      );
      assert.deepEqual(contents(db, 't'), before);
      const raw = new Database(fileOf(db), { readonly: true });
      assert.deepEqual(
        raw.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'dbdoctor_rebuild%'").all(),
        [],
      );
      raw.close();
    } finally {
      await db.drop();
    }
  });
});

/** A project whose 001 is `base` SQL and 002 the DSL `ops`. */
function project(db: TestDatabase, base: string, ops: Operation[]): string {
  const dir = path.join(db.dir, 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '001_base.sql'), `-- migrate:up\n${base}\n\n-- migrate:down\n`);
  fs.writeFileSync(
    path.join(dir, '002_change.mjs'),
    `export default ${JSON.stringify({ ops, irreversible: true })};\n`,
  );
  return dir;
}

function schemaAndRows(db: TestDatabase): unknown {
  const raw = new Database(fileOf(db), { readonly: true });
  try {
    return {
      schema: raw
        .prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'dbdoctor%' ORDER BY name")
        .all(),
      t: raw.prepare('SELECT * FROM t ORDER BY id').all(),
    };
  } finally {
    raw.close();
  }
}

describe('SQLite rebuilds never resurrect a trigger or view SQLite would refuse', onlyOn('sqlite'), () => {
  const base = (dependent: string) => `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, c TEXT);
CREATE TABLE log (what TEXT);
INSERT INTO t (a, c) VALUES ('x', 'y');
${dependent}`;
  const trigger =
    'CREATE TRIGGER t_log AFTER UPDATE OF a ON t BEGIN INSERT INTO log (what) VALUES (new.c); END;';
  const view = 'CREATE VIEW t_c AS SELECT id, c FROM t;';

  for (const [kind, name, sql] of [
    ['trigger', 't_log', trigger],
    ['view', 't_c', view],
  ] as const) {
    it(`dropColumn of a column a ${kind} uses is refused with SQLite's reason, nothing changed`, async () => {
      const CODE = 'COLUMN_IN_USE';
      const db = await createTestDatabase('sqlite');
      try {
        const dir = project(db, base(sql), [dropColumn('t', 'c')]);
        assert.equal(
          (await cli(['apply', '--to', '001', '--no-backup', '--url', db.url, '--dir', dir])).code,
          0,
        );
        const before = schemaAndRows(db);
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`Cannot drop column "c" of "t": ${kind} "${name}" uses it`));
        assert.match(
          r.stderr,
          new RegExp(`error in ${kind} ${name} after drop column`),
          "SQLite's own reason",
        );
        assert.deepEqual(schemaAndRows(db), before);
        await assert.rejects(migrate({ database: db.url, dir, backup: { enabled: false } }), (e: Error) => {
          assert.equal((e.cause as { code?: string }).code, CODE);
          return true;
        });
        assert.deepEqual(schemaAndRows(db), before);
      } finally {
        await db.drop();
      }
    });

    it(`any rebuild that would leave a ${kind} broken aborts before commit`, async () => {
      const CODE = 'REBUILD_BREAKS_DEPENDENT';
      const db = await createTestDatabase('sqlite');
      try {
        // alterColumn first: the drop joins its rebuild, with no native DROP COLUMN attempt.
        const dir = project(db, base(sql), [
          alterColumn('t', 'a', { default: 'z' }, { default: null }),
          dropColumn('t', 'c'),
        ]);
        assert.equal(
          (await cli(['apply', '--to', '001', '--no-backup', '--url', db.url, '--dir', dir])).code,
          0,
        );
        const before = schemaAndRows(db);
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`leave ${kind} "${name}" broken: SQLite says "no such column`));
        assert.deepEqual(schemaAndRows(db), before);
        await assert.rejects(migrate({ database: db.url, dir, backup: { enabled: false } }), (e: Error) => {
          assert.equal((e.cause as { code?: string }).code, CODE);
          return true;
        });
        assert.deepEqual(schemaAndRows(db), before);
      } finally {
        await db.drop();
      }
    });
  }

  it('triggers and views that still compile come back, and the table can be written', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = project(db, base(`${trigger}\n${view}`), [
        addColumn('t', 'u', { type: 'text', unique: true }),
      ]);
      const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      exec(db, "UPDATE t SET a = 'w'");
      const raw = new Database(fileOf(db), { readonly: true });
      assert.deepEqual(raw.prepare('SELECT what FROM log').all(), [{ what: 'y' }]);
      assert.deepEqual(raw.prepare('SELECT * FROM t_c').all(), [{ id: 1, c: 'y' }]);
      raw.close();
    } finally {
      await db.drop();
    }
  });
});
