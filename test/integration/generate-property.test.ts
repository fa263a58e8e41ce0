/**
 * Property test for `generate`: a random schema A (tables with typed columns, defaults, NOT
 * NULL, checks, plain, unique and partial indexes, foreign keys with actions) and a random edit
 * of it to B (columns added, dropped, retyped, made nullable or not, defaults, indexes, keys,
 * checks, tables added and dropped, renames given with the flag). The migration generated from
 * A's migrations to B's schema.sql, applied to a database at A, gives exactly B's fingerprint (B
 * made on its own database from its SQL), its down gives A's back, and a second generate finds
 * nothing. CI runs a fixed seed and a few cases; DBDOCTOR_FUZZ_RUNS and DBDOCTOR_FUZZ_SEED ask
 * for more (`npm run fuzz` runs this file too).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateMigration, type Rename } from '../../src/generate/generate.js';
import { migrate } from '../../src/migrations/apply.js';
import { introspect } from '../../src/migrations/introspect.js';
import { rollback } from '../../src/migrations/rollback.js';
import { fingerprint } from '../../src/schema/fingerprint.js';
import {
  createTestDatabase,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

const SEED = Number(process.env.DBDOCTOR_FUZZ_SEED ?? 20261203);
const RUNS: Partial<Record<TestDialect, number>> = {
  sqlite: Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 12),
  postgres: Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 6),
  mysql: Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 6),
};

type ColType = 'text' | 'integer' | 'real' | 'boolean' | 'bigint' | 'enum';
const TYPES: Partial<Record<TestDialect, ColType[]>> = {
  sqlite: ['text', 'integer', 'real'],
  postgres: ['text', 'integer', 'real', 'boolean', 'bigint'],
  mysql: ['text', 'integer', 'real', 'boolean', 'bigint', 'enum'],
};

/** MySQL and MariaDB have no partial indexes: the generator makes none there. */
const partialIndexes = (d: TestDialect) => d !== 'mysql';

interface Col {
  name: string;
  type: ColType;
  notNull: boolean;
  /** Seed of the default literal, or null for none. */
  dflt: number | null;
  /** A CHECK on the column (named), or null. */
  check: string | null;
}
interface Fk {
  /** The constraint's name, or null for a column that holds no key (any more). */
  name: string | null;
  column: string;
  table: string;
  onDelete: string;
}
interface Idx {
  name: string;
  columns: string[];
  unique: boolean;
  partial: boolean;
}
interface Tab {
  name: string;
  /** SQLite: `id INTEGER PRIMARY KEY` without NOT NULL (nullable in the model: written as SQL). */
  loosePk: boolean;
  cols: Col[];
  /** Integer columns holding a foreign key (not edited as plain columns). */
  refs: Fk[];
  idx: Idx[];
}
type Model = Tab[];

interface Intent {
  kind: number;
  pick: number;
  value: number;
}
interface Scenario {
  tables: { cols: { type: number; notNull: boolean; dflt: number | null }[]; loosePk: boolean }[];
  build: Intent[];
  edits: Intent[];
}

const ACTIONS = ['NO ACTION', 'CASCADE', 'SET NULL', 'RESTRICT'];

function typeSql(d: TestDialect, t: ColType): string {
  // VARCHAR(255) and TINYINT(1): the DSL's text and boolean there (TEXT is not indexable whole);
  // enum (MySQL only) is an inline ENUM, whose changes are the schema SQL writer's ALTER TABLE.
  if (d === 'mysql')
    return {
      text: 'VARCHAR(255)',
      integer: 'INT',
      real: 'DOUBLE',
      boolean: 'TINYINT(1)',
      bigint: 'BIGINT',
      enum: "ENUM('e0','e1','e2')",
    }[t];
  if (d === 'sqlite')
    return {
      text: 'TEXT',
      integer: 'INTEGER',
      real: 'REAL',
      boolean: 'INTEGER',
      bigint: 'INTEGER',
      enum: 'TEXT',
    }[t];
  return {
    text: 'text',
    integer: 'integer',
    real: 'double precision',
    boolean: 'boolean',
    bigint: 'bigint',
    enum: 'text',
  }[t];
}

function literal(d: TestDialect, t: ColType, v: number): string {
  if (t === 'text') return `'v${v}'`;
  if (t === 'enum') return `'e${v % 3}'`;
  if (t === 'boolean') return d === 'postgres' ? String(v % 2 === 0) : String(v % 2);
  if (t === 'real') return `${v}.5`;
  return String(v);
}

function checkSql(c: Col): string | null {
  if (c.type === 'text') return `length(${c.name}) > 0`;
  if (c.type === 'enum') return `${c.name} <> 'e2'`;
  if (c.type === 'boolean') return null;
  return `${c.name} >= 0`;
}

function foreignKey(r: Fk): string {
  return `CONSTRAINT ${r.name} FOREIGN KEY (${r.column}) REFERENCES ${r.table} (id) ON DELETE ${r.onDelete}`;
}

/** The model as a script that creates it on an empty database. */
function render(d: TestDialect, model: Model): string {
  const out: string[] = [];
  for (const t of model) {
    const items = [
      `id ${typeSql(d, 'integer')} PRIMARY KEY${t.loosePk && d === 'sqlite' ? '' : ' NOT NULL'}`,
    ];
    for (const c of t.cols) {
      const parts = [c.name, typeSql(d, c.type)];
      if (c.notNull) parts.push('NOT NULL');
      if (c.dflt !== null) parts.push(`DEFAULT ${literal(d, c.type, c.dflt)}`);
      items.push(parts.join(' '));
    }
    for (const r of t.refs) items.push(`${r.column} ${typeSql(d, 'integer')}`);
    for (const c of t.cols) if (c.check) items.push(`CONSTRAINT ${c.check} CHECK (${checkSql(c)})`);
    // PostgreSQL and MySQL check the referenced table when a key is made: keys come after every table.
    if (d === 'sqlite') for (const r of t.refs) if (r.name) items.push(foreignKey(r));
    out.push(`CREATE TABLE ${t.name} (\n  ${items.join(',\n  ')}\n);`);
  }
  if (d !== 'sqlite')
    for (const t of model)
      for (const r of t.refs) if (r.name) out.push(`ALTER TABLE ${t.name} ADD ${foreignKey(r)};`);
  for (const t of model)
    for (const i of t.idx)
      out.push(
        `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${i.name} ON ${t.name} (${i.columns.join(', ')})${i.partial ? ` WHERE ${i.columns[0]} IS NOT NULL` : ''};`,
      );
  return out.join('\n');
}

/**
 * PostgreSQL has no cast between boolean and bigint or double precision: such a type change
 * needs a hand-written USING, and generate refuses it (GENERATE_UNVERIFIED, it fails).
 */
function castable(from: ColType, to: ColType): boolean {
  const pair = [from, to].sort().join();
  return pair !== 'bigint,boolean' && pair !== 'boolean,real';
}

const clone = (m: Model): Model => JSON.parse(JSON.stringify(m)) as Model;

/** Applies edits to a copy of `model`; returns it and the renames to pass to generate. */
function edit(d: TestDialect, model: Model, intents: Intent[], names: { n: number }) {
  const m = clone(model);
  const renames: Rename[] = [];
  // Objects made or renamed by this edit (by identity): a rename names what the migrations have.
  const newTables = new Set<Tab>();
  const newColumns = new Set<Col>();
  const renamedTables = new Map<Tab, string>();
  const renamedColumns = new Set<Col>();
  const types = TYPES[d] ?? [];
  for (const { kind, pick, value } of intents) {
    const n = ++names.n;
    if (m.length === 0) {
      const t: Tab = { name: `t${n}`, loosePk: false, cols: [], refs: [], idx: [] };
      m.push(t);
      newTables.add(t);
      continue;
    }
    const t = m[pick % m.length];
    const col = t.cols.length > 0 ? t.cols[value % t.cols.length] : null;
    switch (kind % 16) {
      case 0: {
        const type = types[value % types.length];
        const c: Col = {
          name: `c${n}`,
          type,
          notNull: value % 3 === 0,
          dflt: value % 2 === 0 ? value : null,
          check: null,
        };
        t.cols.push(c);
        newColumns.add(c);
        break;
      }
      case 1:
        if (!col || t.cols.length < 2 || renamedColumns.has(col)) break;
        t.cols = t.cols.filter((c) => c !== col);
        t.idx = t.idx.filter((i) => !i.columns.includes(col.name));
        break;
      case 2: {
        if (!col) break;
        const type = types.filter((x) => x !== col.type && castable(col.type, x))[value % (types.length - 1)];
        if (!type) break;
        col.type = type;
        col.dflt = col.dflt === null ? null : value;
        col.check = null;
        break;
      }
      case 3:
        if (col) col.notNull = !col.notNull;
        break;
      case 4:
        if (col) col.dflt = col.dflt === value ? null : value;
        break;
      case 5: {
        if (!col) break;
        const second = t.cols[(value + 1) % t.cols.length];
        const columns = value % 3 === 0 && second !== col ? [col.name, second.name] : [col.name];
        t.idx.push({
          name: `i${n}`,
          columns,
          unique: value % 2 === 0,
          partial: partialIndexes(d) && value % 4 === 1,
        });
        break;
      }
      case 6:
        if (t.idx.length > 0) t.idx.splice(value % t.idx.length, 1);
        break;
      case 7: {
        const target = m[value % m.length];
        t.refs.push({ name: `fk${n}`, column: `r${n}`, table: target.name, onDelete: ACTIONS[value % 4] });
        break;
      }
      case 8: {
        // The key goes, its column stays.
        const r = t.refs.find((x) => x.name !== null);
        if (r) r.name = null;
        break;
      }
      case 9: {
        const r = t.refs.find((x) => x.name !== null);
        if (r) r.onDelete = ACTIONS[(ACTIONS.indexOf(r.onDelete) + 1 + (value % 3)) % 4];
        break;
      }
      case 10:
        if (col && !col.check && checkSql(col)) col.check = `k${n}`;
        break;
      case 11:
        if (col?.check) col.check = null;
        break;
      case 12: {
        const c: Col = {
          name: `c${n}`,
          type: types[value % types.length],
          notNull: false,
          dflt: null,
          check: null,
        };
        const nt: Tab = {
          name: `t${n}`,
          loosePk: value % 3 === 0,
          cols: [c],
          refs:
            value % 2 === 0
              ? [{ name: `fk${n}`, column: `r${n}`, table: t.name, onDelete: ACTIONS[value % 4] }]
              : [],
          idx: [],
        };
        m.push(nt);
        newTables.add(nt);
        break;
      }
      case 13: {
        if (m.length < 2 || renamedTables.has(t) || t.cols.some((c) => renamedColumns.has(c))) break;
        m.splice(m.indexOf(t), 1);
        for (const o of m) for (const r of o.refs) if (r.table === t.name) r.name = null;
        break;
      }
      case 14: {
        if (!col || newTables.has(t) || newColumns.has(col) || renamedColumns.has(col)) break;
        const from = col.name;
        const to = `${from}_r${n}`;
        renames.push({ kind: 'column', table: renamedTables.get(t) ?? t.name, from, to });
        renamedColumns.add(col);
        col.name = to;
        for (const i of t.idx) i.columns = i.columns.map((c) => (c === from ? to : c));
        break;
      }
      case 15: {
        if (newTables.has(t) || renamedTables.has(t)) break;
        const to = `${t.name}_r${n}`;
        renames.push({ kind: 'table', from: t.name, to });
        renamedTables.set(t, t.name);
        for (const o of m) for (const r of o.refs) if (r.table === t.name) r.table = to;
        t.name = to;
        break;
      }
    }
  }
  return { model: m, renames };
}

const intent = fc.record({
  kind: fc.nat({ max: 15 }),
  pick: fc.nat({ max: 7 }),
  value: fc.integer({ min: 0, max: 40 }),
});

const scenario: fc.Arbitrary<Scenario> = fc.record({
  tables: fc.array(
    fc.record({
      cols: fc.array(
        fc.record({
          type: fc.nat({ max: 4 }),
          notNull: fc.boolean(),
          dflt: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      loosePk: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  // Edits that shape A (indexes, keys, checks) before the edits that make B.
  build: fc.array(intent, { maxLength: 5 }),
  edits: fc.array(intent, { minLength: 1, maxLength: 4 }),
});

function modelA(d: TestDialect, s: Scenario, names: { n: number }): Model {
  const types = TYPES[d] ?? [];
  const base: Model = s.tables.map((t, ti) => ({
    name: `t${ti}`,
    loosePk: t.loosePk,
    cols: t.cols.map((c, ci) => ({
      name: `c${ci}`,
      type: types[c.type % types.length],
      notNull: c.notNull,
      dflt: c.dflt,
      check: null,
    })),
    refs: [],
    idx: [],
  }));
  // Shaping edits: indexes, keys and checks only, so A stays what the scenario says.
  const shaping = s.build.map((i) => ({ ...i, kind: [5, 7, 10, 9][i.kind % 4] }));
  return edit(d, base, shaping, names).model;
}

async function fingerprintOf(dialect: TestDialect, script: string): Promise<string> {
  const db = await createTestDatabase(dialect);
  try {
    const dir = writeMigrations(db.dir, { '001_schema.sql': sqlMigration(script) });
    await migrate({ database: db.url, dir, backup: { enabled: false } });
    return fingerprint(await introspect({ database: db.url }));
  } finally {
    await db.drop();
  }
}

async function runScenario(dialect: TestDialect, s: Scenario): Promise<void> {
  const names = { n: 100 };
  const a = modelA(dialect, s, names);
  const { model: b, renames } = edit(dialect, a, s.edits, names);
  const scriptA = render(dialect, a);
  const scriptB = render(dialect, b);
  const context = `A:\n${scriptA}\nB:\n${scriptB}\nrenames: ${JSON.stringify(renames)}`;
  const expectedB = await fingerprintOf(dialect, scriptB);
  const db: TestDatabase = await createTestDatabase(dialect);
  try {
    linkPackage(db.dir);
    const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration(scriptA) });
    const options = { database: db.url, dir, backup: { enabled: false } } as const;
    await migrate(options);
    const expectedA = fingerprint(await introspect({ database: db.url }));
    const schemaFile = path.join(db.dir, 'schema.sql');
    fs.writeFileSync(schemaFile, `${scriptB}\n`);
    let r: Awaited<ReturnType<typeof generateMigration>>;
    try {
      r = await generateMigration({ ...options, name: 'edit', schemaFile, renames, cacheDir: false });
    } catch (e) {
      assert.fail(`generate refused: ${(e as Error).message}\n${context}`);
    }
    assert.equal(r.fingerprint.desired, expectedB, context);
    if (expectedA === expectedB) {
      assert.equal(r.empty, true, context);
      return;
    }
    const detail = `${context}\n${r.code}`;
    assert.deepEqual(r.irreversible, [], detail);
    await migrate(options);
    assert.equal(fingerprint(await introspect({ database: db.url })), expectedB, `up gives B\n${detail}`);
    await rollback({ ...options, steps: 1 });
    assert.equal(fingerprint(await introspect({ database: db.url })), expectedA, `down gives A\n${detail}`);
    await migrate(options);
    const again = await generateMigration({ ...options, name: 'again', schemaFile, cacheDir: false });
    assert.equal(again.empty, true, `${detail}\nsecond generate:\n${again.code}`);
  } finally {
    await db.drop();
  }
}

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`generate on random schemas and edits, ${dialect} (fast-check, seed ${SEED})`, () => {
    it(`${RUNS[dialect]} runs: up gives B exactly, down gives A back`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario, (s) => runScenario(dialect, s)),
        {
          seed: SEED,
          numRuns: RUNS[dialect] ?? 6,
          endOnFailure: true,
          verbose: 1,
          includeErrorInReport: true,
        },
      );
    });
  });
}
