/**
 * Rebuild fuzz: random parent tables (64-bit and negative ids, a user column named rowid,
 * virtual and stored generated columns, defaults with parentheses, quotes and keywords inside
 * strings) with ON DELETE CASCADE and SET NULL children, rebuilt by DSL operations with small
 * copy ranges. Every row and key of the parent and its children is the same afterwards,
 * except what the operations change on purpose. CI runs a fixed seed; set
 * DBDOCTOR_FUZZ_RUNS and DBDOCTOR_FUZZ_SEED for more.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { openConnection } from '../../src/dialects/open.js';
import { runSqliteOperations as runOperations } from '../../src/dialects/sqlite/compile.js';
import { addCheck, addColumn, alterColumn, type Operation } from '../../src/index.js';
import { createTestDatabase, onlyOn } from '../helpers/databases.js';

const SEED = Number(process.env.DBDOCTOR_FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 20);

/** Defaults whose text fooled text-based column readers: AS (, GENERATED, quotes, commas. */
const ODD_DEFAULTS = [
  "'Same as (billing)'",
  "'GENERATED ALWAYS AS (1) STORED'",
  "'it''s, (quoted) AS (x)'",
  "('a' || 'b (c)')",
  "'CHECK (x > 0), PRIMARY KEY'",
  'NULL',
];

interface Scenario {
  ids: bigint[];
  userRowid: boolean;
  noteDefault: string;
  rows: { note: string | null; qty: bigint; tag: string | null }[];
  children: { parent: number; cascade: boolean }[];
  ops: number[];
  batch: number;
}

const id64 = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.bigInt({ min: (1n << 63n) - 20n, max: (1n << 63n) - 1n }),
  fc.bigInt({ min: -(1n << 63n), max: -(1n << 63n) + 20n }),
  fc.bigInt({ min: (1n << 53n) - 5n, max: (1n << 53n) + 5n }),
  fc.bigInt({ min: -50n, max: 50n }),
);

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    ids: fc.uniqueArray(id64, { minLength: 1, maxLength: 40 }),
    userRowid: fc.boolean(),
    noteDefault: fc.constantFrom(...ODD_DEFAULTS),
    cells: fc.array(
      fc.record({
        note: fc.option(fc.constantFrom('x', "o'k", 'as (is)', ''), { nil: null }),
        qty: fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }),
        tag: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
      }),
      { minLength: 40, maxLength: 40 },
    ),
    children: fc.array(fc.record({ parent: fc.nat(), cascade: fc.boolean() }), { maxLength: 30 }),
    ops: fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 3 }),
    batch: fc.integer({ min: 1, max: 9 }),
  })
  .map(({ cells, ...s }) => ({ ...s, rows: cells.slice(0, s.ids.length) }));

/** The operations (all rebuild "p"); each changes only what its own column says. */
function operations(kinds: number[], s: Scenario): Operation[] {
  return kinds.map((k, i) => {
    switch (k) {
      case 0:
        return alterColumn('p', 'note', { default: `d${i}` }, { default: null });
      case 1:
        return addCheck('p', `ck${i}`, 'qty IS NULL OR qty = qty');
      case 2:
        return addColumn('p', `added${i}`, { type: 'text', unique: true });
      case 3:
        return alterColumn('p', 'tag', { type: 'text' }, { type: 'text' });
      default:
        return alterColumn('p', 'qty', { default: s.batch }, { default: null });
    }
  });
}

function setup(file: string, s: Scenario): void {
  const raw = new Database(file);
  raw.exec(`CREATE TABLE p (
  id INTEGER PRIMARY KEY,
  note TEXT DEFAULT ${s.noteDefault},
  qty INTEGER,
  ${s.userRowid ? 'rowid TEXT,' : ''}
  tag TEXT,
  doubled INTEGER AS (qty * 2),
  label TEXT GENERATED ALWAYS AS (coalesce(note, '') || '/' || coalesce(tag, '')) STORED
);
CREATE TABLE child_cascade (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id) ON DELETE CASCADE);
CREATE TABLE child_set_null (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id) ON DELETE SET NULL);`);
  const insert = raw.prepare(
    `INSERT INTO p (id, note, qty, tag${s.userRowid ? ', rowid' : ''}) VALUES (?, ?, ?, ?${s.userRowid ? ', ?' : ''})`,
  );
  raw.transaction(() => {
    s.ids.forEach((id, i) => {
      const r = s.rows[i] as Scenario['rows'][number];
      insert.run(id, r.note, r.qty, r.tag, ...(s.userRowid ? [`user ${s.ids.length - i}`] : []));
    });
    s.children.forEach((c, i) => {
      const pid = s.ids[c.parent % s.ids.length] as bigint;
      raw
        .prepare(`INSERT INTO ${c.cascade ? 'child_cascade' : 'child_set_null'} (id, pid) VALUES (?, ?)`)
        .run(BigInt(i) - 15n, pid);
    });
  })();
  raw.close();
}

/** Every table's full contents, exact integers, the real rowid included. */
function snapshot(file: string): Record<string, unknown[]> {
  const raw = new Database(file, { readonly: true });
  try {
    const all = (sql: string) => raw.prepare(sql).safeIntegers(true).all() as Record<string, unknown>[];
    return {
      // Columns the operations add are intended changes: left out.
      p: all('SELECT _rowid_ AS real_rowid, * FROM p ORDER BY _rowid_').map((r) =>
        Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('added'))),
      ),
      child_cascade: all('SELECT * FROM child_cascade ORDER BY id'),
      child_set_null: all('SELECT * FROM child_set_null ORDER BY id'),
    };
  } finally {
    raw.close();
  }
}

describe(`SQLite rebuild fuzz (fast-check, seed ${SEED})`, onlyOn('sqlite'), () => {
  it('no row or key of the table or its CASCADE / SET NULL children is lost or changed', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const db = await createTestDatabase('sqlite');
        try {
          const file = db.url.replace(/^sqlite:/, '');
          setup(file, s);
          const before = snapshot(file);
          const conn = await openConnection(db.url);
          // As the engine runs every SQLite migration: enforcement off outside the transaction.
          const guard = await conn.dialect.guardMigration(conn);
          try {
            await conn.begin();
            await runOperations(conn, operations(s.ops, s), { copyBatchRows: s.batch });
            await conn.commit();
          } finally {
            await conn.rollback();
            await guard?.restore();
            await conn.close();
          }
          assert.deepEqual(snapshot(file), before);
          const raw = new Database(file, { readonly: true });
          assert.deepEqual(raw.pragma('foreign_key_check'), []);
          assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
          raw.close();
        } finally {
          await db.drop();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 },
    );
  });
});
