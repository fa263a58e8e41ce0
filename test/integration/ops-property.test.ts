/**
 * Property test: random sequences of operations on random tables with data. After up, and
 * after up then down, no row is lost or changed and the fingerprints are the expected ones
 * (the fold after up, the starting schema after down). CI runs a fixed seed; set
 * DBDOCTOR_FUZZ_RUNS and DBDOCTOR_FUZZ_SEED for more (bench/fuzz.ts does).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  addCheck,
  addColumn,
  alterColumn,
  createIndex,
  createTable,
  dropCheck,
  dropIndex,
  fingerprint,
  foldOperations,
  introspect,
  migrate,
  type Operation,
  type PortableType,
  renameColumn,
  rollback,
} from '../../src/index.js';
import { createTestDatabase, DIALECTS, rawExec, rawQuery, type TestDialect } from '../helpers/databases.js';

const SEED = Number(process.env.DBDOCTOR_FUZZ_SEED ?? 20261121);
const RUNS: Record<TestDialect, number> = {
  sqlite: Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 25),
  postgres: Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 10),
  mysql: Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 10),
};

const TYPES: PortableType[] = ['text', 'integer', 'real', 'boolean'];

interface ColumnState {
  name: string;
  type: PortableType;
  nullable: boolean;
  default: string | number | boolean | null;
  /** The name the column had when the data was inserted. */
  original: string;
}

interface Intent {
  kind: number;
  pick: number;
  value: number;
}

interface Scenario {
  columns: { type: PortableType }[];
  rows: number[][];
  intents: Intent[];
}

function literal(type: PortableType, v: number): string | number | boolean {
  if (type === 'text') return `v${v}`;
  if (type === 'boolean') return v % 2 === 0;
  if (type === 'real') return v + 0.5;
  return v;
}

function sqlLiteral(dialect: TestDialect, type: PortableType, v: number): string {
  const x = literal(type, v);
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'boolean') return dialect === 'postgres' ? String(x) : x ? '1' : '0';
  return String(x);
}

/** Builds operations from the intents, tracking the table as they change it (pure). */
function buildOps(columns: ColumnState[], intents: Intent[]): Operation[] {
  const ops: Operation[] = [];
  const indexes: { name: string; column: string }[] = [];
  const checks: { name: string; expression: string }[] = [];
  let n = 0;
  for (const { kind, pick, value } of intents) {
    const col = columns[pick % columns.length] as ColumnState;
    n++;
    switch (kind % 8) {
      case 0: {
        const type = TYPES[value % TYPES.length] as PortableType;
        const name = `added_${n}`;
        const withDefault = value % 3 !== 0;
        ops.push(addColumn('t', name, withDefault ? { type, default: literal(type, value) } : { type }));
        columns.push({
          name,
          type,
          nullable: true,
          default: withDefault ? literal(type, value) : null,
          original: '',
        });
        break;
      }
      case 1: {
        const next = literal(col.type, value);
        ops.push(alterColumn('t', col.name, { default: next }, { default: col.default }));
        col.default = next;
        break;
      }
      case 2:
        if (col.original === '') break; // only columns whose rows are all non-NULL
        ops.push(alterColumn('t', col.name, { nullable: !col.nullable }, { nullable: col.nullable }));
        col.nullable = !col.nullable;
        break;
      case 3: {
        const to = `${col.name}_r${n}`;
        ops.push(renameColumn('t', col.name, to));
        for (const i of indexes) if (i.column === col.name) i.column = to;
        for (const c of checks) c.expression = c.expression.replace(new RegExp(`\\b${col.name}\\b`, 'g'), to);
        col.name = to;
        break;
      }
      case 4: {
        const name = `t_idx_${n}`;
        ops.push(createIndex('t', [col.name], { name }));
        indexes.push({ name, column: col.name });
        break;
      }
      case 5: {
        const ix = indexes.shift();
        if (ix) ops.push(dropIndex(ix.name, { table: 't', columns: [ix.column] }));
        break;
      }
      case 6: {
        const name = `t_check_${n}`;
        const expression = `${col.name} IS NULL OR ${col.name} = ${col.name}`;
        ops.push(addCheck('t', name, expression));
        checks.push({ name, expression });
        break;
      }
      case 7: {
        const c = checks.shift();
        if (c) ops.push(dropCheck('t', c.name, c.expression));
        break;
      }
    }
  }
  return ops;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  columns: fc.array(fc.record({ type: fc.constantFrom(...TYPES) }), { minLength: 1, maxLength: 3 }),
  rows: fc.array(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 3, maxLength: 3 }), {
    minLength: 0,
    maxLength: 12,
  }),
  intents: fc.array(
    fc.record({
      kind: fc.nat({ max: 7 }),
      pick: fc.nat({ max: 10 }),
      value: fc.integer({ min: 0, max: 50 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

function file(ops: Operation[], extra: Record<string, unknown> = {}): string {
  return `export default ${JSON.stringify({ ops, ...extra })};\n`;
}

async function runScenario(dialect: TestDialect, s: Scenario): Promise<void> {
  const db = await createTestDatabase(dialect);
  try {
    const columns: ColumnState[] = s.columns.map((c, i) => ({
      name: `c${i}`,
      type: c.type,
      nullable: true,
      default: null,
      original: `c${i}`,
    }));
    const base = [
      createTable('t', {
        columns: {
          id: { type: 'integer', primaryKey: true },
          ...Object.fromEntries(columns.map((c) => [c.name, { type: c.type }])),
        },
      }),
    ];
    const ops = buildOps(
      columns.map((c) => ({ ...c })),
      s.intents,
    );
    const dir = path.join(db.dir, 'migrations');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '001_base.mjs'), file(base));
    fs.writeFileSync(path.join(dir, '002_change.mjs'), file(ops));
    const opts = { database: db.url, dir, backup: { enabled: false } };
    await migrate({ ...opts, to: '001' });
    for (const [id, row] of s.rows.entries()) {
      const values = columns.map((c, i) => sqlLiteral(dialect, c.type, row[i] ?? 0));
      await rawExec(
        db,
        `INSERT INTO t (id, ${columns.map((c) => c.name).join(', ')}) VALUES (${id + 1}, ${values.join(', ')})`,
      );
    }
    const snapshot = async () =>
      (await rawQuery(db, 'SELECT * FROM t ORDER BY id')).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
      );
    const rowsBefore = await snapshot();
    const start = fingerprint(await introspect({ database: db.url }));
    if (ops.length === 0) {
      // The intents made no operation: a migration with `ops: []` is refused, nothing changes.
      await assert.rejects(migrate(opts), { code: 'EMPTY_MIGRATION' });
      assert.deepEqual(await snapshot(), rowsBefore);
      return;
    }

    await migrate(opts);
    const live = await introspect({ database: db.url });
    assert.equal(
      fingerprint(live),
      fingerprint(foldOperations([...base, ...ops], dialect).schema),
      'up folds to the live schema',
    );
    const after = await snapshot();
    assert.equal(after.length, rowsBefore.length, 'no row lost by up');
    // Every original value is still there, under the column's current name.
    const renamed = new Map<string, string>();
    const tracked = columns.map((c) => ({ ...c }));
    buildOps(tracked, s.intents);
    for (const c of tracked) if (c.original) renamed.set(c.original, c.name);
    for (const [i, row] of rowsBefore.entries()) {
      for (const [k, v] of Object.entries(row)) {
        const now = k === 'id' ? 'id' : (renamed.get(k) ?? k);
        assert.equal(after[i]?.[now], v, `row ${i + 1} column ${k} (now ${now}) unchanged by up`);
      }
    }

    await rollback({ ...opts, to: '001' });
    assert.equal(
      fingerprint(await introspect({ database: db.url })),
      start,
      'down restores the starting schema',
    );
    assert.deepEqual(await snapshot(), rowsBefore, 'no row lost or changed by up then down');
  } finally {
    await db.drop();
  }
}

for (const dialect of DIALECTS) {
  describe(`random operation sequences on ${dialect} (fast-check, seed ${SEED})`, () => {
    it(`${RUNS[dialect]} runs: rows and fingerprints survive up and up+down`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario, (s) => runScenario(dialect, s)),
        { seed: SEED, numRuns: RUNS[dialect], endOnFailure: true, verbose: 1 },
      );
    });
  });
}
