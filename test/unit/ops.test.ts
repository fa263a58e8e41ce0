import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  editColumnItem,
  itemColumn,
  itemConstraintName,
  joinCreateTable,
  mentionsIdentifier,
  splitCreateTable,
} from '../../src/dialects/sqlite/table-sql.js';
import {
  addCheck,
  addColumn,
  addEnumValue,
  alterColumn,
  createEnum,
  createIndex,
  createTable,
  dropColumn,
  dropTable,
  enumType,
  foldOperations,
  invertOperations,
  lintOperations,
  renameColumn,
  sql,
} from '../../src/ops/index.js';
import '../../src/dialects/builtin.js';
import { pgStatements } from '../../src/dialects/postgres/compile.js';
import { editTable, sqliteSteps, widenEnumChecks } from '../../src/dialects/sqlite/compile.js';

describe('SQLite CREATE TABLE surgery', () => {
  const SQL = `CREATE TABLE "t" (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the key
  code TEXT NOT NULL COLLATE NOCASE CONSTRAINT code_u UNIQUE,
  qty INTEGER DEFAULT (1 + 1) CHECK (qty >= 0),
  total REAL GENERATED ALWAYS AS (qty * 2) STORED,
  parent INTEGER REFERENCES p (id) ON DELETE CASCADE NOT DEFERRABLE,
  CONSTRAINT "qty_small" CHECK (qty < 100),
  FOREIGN KEY (parent) REFERENCES p (id)
) STRICT, WITHOUT ROWID`;

  it('splits into items as written and the table options, and joins back', () => {
    const parts = splitCreateTable(SQL);
    assert.equal(parts.items.length, 7);
    assert.equal(parts.options, 'STRICT, WITHOUT ROWID');
    assert.deepEqual(parts.items.map(itemColumn), ['id', 'code', 'qty', 'total', 'parent', null, null]);
    assert.equal(itemConstraintName(parts.items[5] as string), 'qty_small');
    assert.equal(itemConstraintName(parts.items[6] as string), null);
    const joined = joinCreateTable('t2', parts);
    assert.match(joined, /^CREATE TABLE "t2" \(\n {2}id INTEGER PRIMARY KEY AUTOINCREMENT,\n/);
    assert.match(joined, /\) STRICT, WITHOUT ROWID$/);
  });

  it('edits a column type, nullability and default and keeps every other constraint as written', () => {
    const [, code, qty, , parent] = splitCreateTable(SQL).items as string[];
    assert.equal(
      editColumnItem(code as string, { nullable: true }),
      'code TEXT COLLATE NOCASE CONSTRAINT code_u UNIQUE',
    );
    assert.equal(
      editColumnItem(qty as string, { typeSql: 'REAL', defaultSql: null, nullable: false }),
      'qty REAL CHECK (qty >= 0) NOT NULL',
    );
    assert.equal(
      editColumnItem(qty as string, { defaultSql: '5' }),
      'qty INTEGER CHECK (qty >= 0) DEFAULT 5',
    );
    assert.equal(
      editColumnItem(parent as string, { nullable: false }),
      'parent INTEGER REFERENCES p (id) ON DELETE CASCADE NOT DEFERRABLE NOT NULL',
    );
  });

  it('finds identifiers as words or quoted names, not inside strings', () => {
    assert.ok(mentionsIdentifier('SELECT a FROM "Orders" o', 'orders'));
    assert.ok(mentionsIdentifier('SELECT orders.a FROM x', 'orders'));
    assert.ok(!mentionsIdentifier("SELECT 'orders' FROM x", 'orders'));
    assert.ok(!mentionsIdentifier('SELECT orders_archive FROM x', 'orders'));
  });

  it('edits a table: drop, add, constraints; refuses a column a table constraint uses', () => {
    const parts = splitCreateTable(SQL);
    const edited = editTable(parts, [
      addColumn('t', 'extra', { type: 'text', unique: true }),
      addCheck('t', 'extra_short', 'length(extra) < 10'),
      { kind: 'dropCheck', table: 't', name: 'qty_small' },
    ]);
    assert.equal(
      itemColumn(edited.parts.items[5] as string),
      'extra',
      'new columns go before table constraints',
    );
    assert.ok(
      edited.parts.items.some((i) => i.includes('CONSTRAINT "extra_short" CHECK (length(extra) < 10)')),
    );
    assert.ok(!edited.parts.items.some((i) => i.includes('qty_small')));
    assert.throws(
      () => editTable(parts, [dropColumn('t', 'parent')]),
      /column "parent" is used by the table constraint FOREIGN KEY/,
    );
    assert.throws(
      () => editTable(parts, [{ kind: 'dropCheck', table: 't', name: 'nope' }]),
      /no table constraint named "nope"/,
    );
  });

  it('widens the CHECK standing for an enum', () => {
    const parts = splitCreateTable(
      `CREATE TABLE s (status TEXT, CONSTRAINT "enum_st__status" CHECK ("status" IN ('a', 'b')))`,
    );
    const widened = widenEnumChecks(parts, 'st', "c'd");
    assert.equal(widened?.items[1], `CONSTRAINT "enum_st__status" CHECK ("status" IN ('a', 'b', 'c''d'))`);
    assert.equal(widenEnumChecks(parts, 'other', 'x'), null);
  });
});

describe('SQLite steps', () => {
  it('uses native ALTER where it suffices and one rebuild for consecutive changes to a table', () => {
    const steps = sqliteSteps([
      addColumn('t', 'a', { type: 'text' }),
      addColumn('t', 'b', { type: 'integer', nullable: false, default: 0 }),
      alterColumn('t', 'a', { nullable: false }),
      addCheck('t', 'c', 'b >= 0'),
      addColumn('t', 'u', { type: 'text', unique: true }),
      renameColumn('t', 'b', 'bb'),
      createIndex('t', ['bb']),
      addColumn('t', 'ts', { type: 'timestamp', default: { now: true } }),
    ]);
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['sql', 'rebuild', 'sql', 'rebuild'],
    );
    assert.equal(steps[1]?.kind === 'rebuild' && steps[1].ops.length, 3);
  });
});

describe('derived down', () => {
  it('inverts reversible operations in reverse order', () => {
    const inv = invertOperations([
      createTable('t', { columns: { id: { type: 'integer', primaryKey: true } } }),
      addColumn('t', 'a', { type: 'text' }),
      renameColumn('t', 'a', 'b'),
    ]);
    assert.ok(inv.reversible);
    assert.deepEqual(
      inv.ops.map((o) => o.kind),
      ['renameColumn', 'dropColumn', 'dropTable'],
    );
  });

  it('names every operation that cannot be reversed', () => {
    const inv = invertOperations([
      dropColumn('t', 'a'),
      dropTable('u'),
      sql('DELETE FROM t'),
      alterColumn('t', 'b', { nullable: false }),
      addEnumValue('e', 'x'),
    ]);
    assert.equal(inv.reversible, false);
    assert.ok(!inv.reversible && inv.reasons.length === 5);
    assert.match(
      !inv.reversible ? inv.reasons.join('\n') : '',
      /loses the column's data[\s\S]*no recorded definition[\s\S]*raw sql without a down[\s\S]*previous nullable[\s\S]*cannot remove an enum value/,
    );
  });
});

describe('fold', () => {
  it('is an error to touch what does not exist, and raw SQL makes the model opaque', () => {
    assert.throws(
      () => foldOperations([addColumn('nope', 'a', { type: 'text' })], 'sqlite'),
      /table "nope" does not exist/,
    );
    assert.throws(
      () =>
        foldOperations(
          [createTable('t', { columns: { a: { type: 'text' } } }), renameColumn('t', 'b', 'c')],
          'postgres',
        ),
      /column "t"."b" does not exist/,
    );
    assert.equal(foldOperations([sql('SELECT 1')], 'sqlite').opaque, true);
  });

  it('gives an enum a type on PostgreSQL and a CHECK on SQLite', () => {
    const ops = [
      createEnum('st', ['a', 'b']),
      createTable('t', { columns: { s: { type: enumType('st', ['a', 'b']), default: 'a' } } }),
    ];
    const pg = foldOperations(ops, 'postgres').schema;
    assert.deepEqual(pg.enums.st?.values, ['a', 'b']);
    assert.equal(pg.tables.t?.columns[0]?.type, 'enum:st');
    assert.equal(pg.tables.t?.columns[0]?.default, "'a'::st");
    const lite = foldOperations(ops, 'sqlite').schema;
    assert.deepEqual(lite.enums, {});
    assert.equal(lite.tables.t?.columns[0]?.type, 'text');
    assert.equal(lite.tables.t?.checks[0]?.expression, "s in ('a', 'b')");
  });
});

describe('PostgreSQL statements', () => {
  it('quotes identifiers and literals and marks CONCURRENTLY', () => {
    assert.deepEqual(
      pgStatements(createIndex('we"ird', ['a b'], { concurrently: true, where: 'a IS NULL' })),
      ['CREATE INDEX CONCURRENTLY "we""ird_a b_idx" ON "we""ird" ("a b") WHERE a IS NULL'],
    );
    assert.deepEqual(pgStatements(createEnum('e', ["it's"])), [`CREATE TYPE "e" AS ENUM ('it''s')`]);
  });

  it('drops the old default before a type change that also sets a new one (it may not cast)', () => {
    assert.deepEqual(pgStatements(alterColumn('t', 'c', { type: 'boolean', default: true })), [
      'ALTER TABLE "t" ALTER COLUMN "c" DROP DEFAULT',
      'ALTER TABLE "t" ALTER COLUMN "c" TYPE boolean USING "c"::boolean',
      'ALTER TABLE "t" ALTER COLUMN "c" SET DEFAULT true',
    ]);
    assert.deepEqual(pgStatements(alterColumn('t', 'c', { type: 'text' }, { default: 1 })), [
      'ALTER TABLE "t" ALTER COLUMN "c" DROP DEFAULT',
      'ALTER TABLE "t" ALTER COLUMN "c" TYPE text USING "c"::text',
      'ALTER TABLE "t" ALTER COLUMN "c" SET DEFAULT 1',
    ]);
  });
});

describe('lints', () => {
  const rows = (n: number) => () => n;
  it('flags NOT NULL without a default only on a table with rows', () => {
    const op = addColumn('t', 'a', { type: 'text', nullable: false });
    assert.deepEqual(
      lintOperations([op], { dialect: 'sqlite', rows: rows(1) }).map((f) => [f.id, f.severity]),
      [['not-null-without-default', 'error']],
    );
    assert.deepEqual(lintOperations([op], { dialect: 'sqlite', rows: rows(0) }), []);
    assert.deepEqual(
      lintOperations([createTable('t', { columns: {} }), op], { dialect: 'sqlite', rows: rows(5) }),
      [],
      'a table created in the same migration is empty',
    );
  });

  it('flags blocking index builds and table rewrites on large PostgreSQL tables, and large SQLite rebuilds', () => {
    const big = { rows: rows(200_000) };
    assert.deepEqual(
      lintOperations([createIndex('t', ['a'])], { dialect: 'postgres', ...big }).map((f) => f.id),
      ['index-without-concurrently'],
    );
    assert.deepEqual(
      lintOperations([createIndex('t', ['a'], { concurrently: true })], { dialect: 'postgres', ...big }),
      [],
    );
    assert.deepEqual(
      lintOperations([alterColumn('t', 'a', { type: 'bigint' })], { dialect: 'postgres', ...big }).map(
        (f) => f.id,
      ),
      ['type-change-rewrites-table'],
    );
    assert.deepEqual(
      lintOperations([alterColumn('t', 'a', { type: 'bigint' })], { dialect: 'sqlite', ...big }).map(
        (f) => f.id,
      ),
      ['large-sqlite-rebuild'],
    );
    assert.deepEqual(
      lintOperations([createIndex('t', ['a'])], {
        dialect: 'postgres',
        rows: rows(50),
        largeTableRows: 10,
      }).map((f) => f.id),
      ['index-without-concurrently'],
    );
  });

  it('warns that drops and renames break the running application', () => {
    const found = lintOperations([dropColumn('t', 'a'), renameColumn('t', 'b', 'c')], {
      dialect: 'postgres',
      rows: rows(0),
    });
    assert.deepEqual(
      found.map((f) => [f.id, f.severity]),
      [
        ['breaking-change', 'warning'],
        ['breaking-change', 'warning'],
      ],
    );
    assert.match(found[0]?.alternative ?? '', /Expand and contract/);
  });
});
