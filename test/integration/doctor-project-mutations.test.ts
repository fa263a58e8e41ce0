/**
 * Issue 10, "Done means": the doctor over real projects (every example project, always; the
 * corpus schemas when ../shared/corpus is present) against an oracle it shares no code with.
 *
 * For each project: apply its migrations to a fresh database, then for each mutation of a
 * catalog generated from what the project has (every property of every object kind the issue
 * lists, on every dialect), start from the migrated schema (PostgreSQL: the schemas dropped and
 * migrated again; SQLite: a file copy; MySQL: the database dropped, created and migrated again),
 * apply the mutation by hand and ask the doctor. The oracle is
 * the database's own dump (test/helpers/dump-oracle.ts): the doctor must say "not matching"
 * exactly when the normalized dump differs from the unmutated one. A second set of mutations
 * changes only spelling (a CHECK, default, view or index re-created with other whitespace,
 * case or casts; a table re-spelled; a dump/restore round trip): the doctor must match. MySQL's
 * oracle is mariadb-dump or mysqldump; without either, its part is skipped and says so.
 *
 * The test prints the catalog size, false matches and false drift; both must be 0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { doctor } from '../../src/doctor/doctor.js';
import { migrate } from '../../src/migrations/apply.js';
import {
  createTestDatabase,
  DIALECTS,
  mysqlAdminUrl,
  mysqlClient,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';
import {
  closingParen,
  isColumnItem,
  mysqlDumpTool,
  normalizedMysqlDump,
  normalizedPgDump,
  normalizedSqliteSchema,
  tableParts,
} from '../helpers/dump-oracle.js';
import { corpusProjects, exampleProjects, type Project } from '../helpers/projects.js';

/** A hand-made change: `dump` ones are judged by the oracle; `spelling` ones must match. */
interface Mutation {
  name: string;
  kind: 'dump' | 'spelling';
  /** PostgreSQL: statements run in one transaction. SQLite: a function on the open file. */
  apply: string[] | ((db: Database.Database) => void);
  /** PostgreSQL: run each statement on its own, outside a transaction. */
  autocommit?: boolean;
}

interface Outcome {
  project: string;
  mutation: string;
  kind: Mutation['kind'];
  dumpDiffers: boolean;
  doctorMatches: boolean;
}

/**
 * A MySQL project with one of each object the example projects lack (a view, two triggers of
 * one event, a function, a procedure, a CHECK, a generated column, a sequence, MariaDB's
 * system-versioned table and application-time period, ZEROFILL and INVISIBLE columns), so their
 * properties can be mutated too. MySQL has no corpus schema on this machine.
 */
const MYSQL_FEATURES: Project = {
  name: 'mysql features',
  dialect: 'mysql',
  tables: -1,
  files: {
    '001_features.sql': `-- migrate:up
CREATE TABLE items (
  id INT PRIMARY KEY,
  price INT NOT NULL,
  qty INT NOT NULL DEFAULT 1,
  total INT AS (price * qty) VIRTUAL,
  CONSTRAINT price_ok CHECK (price >= 0)
);
CREATE VIEW cheap AS SELECT id, price FROM items WHERE price < 10 WITH CHECK OPTION;
CREATE TRIGGER items_a BEFORE INSERT ON items FOR EACH ROW SET NEW.qty = NEW.qty + 1;
CREATE TRIGGER items_b BEFORE INSERT ON items FOR EACH ROW SET NEW.qty = NEW.qty * 2;
CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2;
CREATE PROCEDURE clear_items(IN below INT) MODIFIES SQL DATA DELETE FROM items WHERE price < below;
CREATE SEQUENCE item_ids START WITH 1 INCREMENT BY 1;
CREATE TABLE ledger (id INT PRIMARY KEY, amount INT, note INT WITHOUT SYSTEM VERSIONING, secret INT INVISIBLE) WITH SYSTEM VERSIONING;
CREATE TABLE stays (id INT PRIMARY KEY, room INT, code INT(6) ZEROFILL, s DATE NOT NULL, e DATE NOT NULL,
  PERIOD FOR stay (s, e), UNIQUE KEY room (room, stay WITHOUT OVERLAPS));
`,
  },
};

/** MySQL's oracle is mariadb-dump or mysqldump, when this machine has one. */
const MYSQL_DUMP = mysqlDumpTool();
/** The dialects with an oracle below (pg_dump, sqlite_schema, mariadb-dump/mysqldump). */
const ORACLE_DIALECTS: readonly TestDialect[] = DIALECTS.filter((d) => d !== 'mysql' || MYSQL_DUMP.file);
for (const d of DIALECTS)
  if (!ORACLE_DIALECTS.includes(d)) console.log(`# mutations skipped on ${d}: ${MYSQL_DUMP.why}`);
const corpus = corpusProjects();
if (corpus.skipped) console.log(`# corpus mutations skipped: ${corpus.skipped}`);
/** Rows are not schema: chinook's 15,000 INSERTs would only make every reset slow. */
const withoutRows = (p: Project): Project => ({
  ...p,
  files: Object.fromEntries(
    Object.entries(p.files).map(([f, text]) => [f, text.replace(/^INSERT INTO[\s\S]*?;[ \t]*$/gm, '')]),
  ),
});
const projects = [
  ...exampleProjects(ORACLE_DIALECTS),
  ...(ORACLE_DIALECTS.includes('mysql') ? [MYSQL_FEATURES] : []),
  ...corpus.projects.filter((p) => ORACLE_DIALECTS.includes(p.dialect)),
].map(withoutRows);

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const lit = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Outside quotes: lowercased, with a space around every parenthesis and comma. */
function respell(sql: string): string {
  return sql.replace(
    /('(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])|([^'"`[]+)/g,
    (_m, quoted: string, plain: string) => quoted ?? plain.toLowerCase().replace(/([(),])/g, ' $1 '),
  );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

interface PgColumn {
  name: string;
  type: string;
  notnull: boolean;
  default: string | null;
  pk: boolean;
  textual: boolean;
}
interface PgTable {
  name: string;
  kind: string;
  columns: PgColumn[];
}
interface PgTargets {
  tables: PgTable[];
  constraints: { table: string; name: string; type: string; def: string }[];
  indexes: { table: string; name: string; def: string; unique: boolean; matview: boolean }[];
  views: { name: string; kind: string; def: string }[];
  triggers: { table: string; name: string; def: string }[];
  functions: { signature: string; def: string; volatile: string; kind: string }[];
  sequences: { name: string; owned: boolean }[];
  enums: { name: string; labels: string[] }[];
  domains: { name: string; constraints: string[] }[];
  policies: { table: string; name: string }[];
  partitions: { table: string; parent: string; bound: string }[];
}

async function pgTargets(url: string, schema: string): Promise<PgTargets> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const rows = async <T>(sql: string) => (await c.query(sql, [schema])).rows as T[];
    const ns = 'SELECT oid FROM pg_namespace WHERE nspname = $1';
    const tables = await rows<{ name: string; kind: string }>(
      `SELECT relname AS name, relkind AS kind FROM pg_class WHERE relnamespace = (${ns}) AND relkind IN ('r','p') AND relname NOT LIKE 'dbdoctor\\_%' AND NOT relispartition ORDER BY relname`,
    );
    const columns = await rows<PgColumn & { table: string }>(
      `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
         pg_get_expr(d.adbin, d.adrelid) AS default,
         EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p' AND a.attnum = ANY (k.conkey)) AS pk,
         t.typcategory = 'S' AND a.attgenerated = '' AS textual
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = (${ns}) AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = ''
       ORDER BY c.relname, a.attnum`,
    );
    const out: PgTargets = {
      tables: tables.map((t) => ({ ...t, columns: columns.filter((x) => x.table === t.name) })),
      constraints: await rows(
        `SELECT c.relname AS table, k.conname AS name, k.contype AS type, pg_get_constraintdef(k.oid) AS def
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = (${ns})
           AND NOT c.relispartition AND k.conparentid = 0 AND c.relname NOT LIKE 'dbdoctor\\_%' ORDER BY 1, 2`,
      ),
      indexes: await rows(
        `SELECT c.relname AS table, i.relname AS name, pg_get_indexdef(x.indexrelid) AS def, x.indisunique AS unique, c.relkind = 'm' AS matview
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
         WHERE c.relnamespace = (${ns}) AND NOT c.relispartition AND c.relname NOT LIKE 'dbdoctor\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid)
           AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)
         ORDER BY 1, 2`,
      ),
      views: await rows(
        `SELECT relname AS name, relkind AS kind, pg_get_viewdef(oid) AS def FROM pg_class WHERE relnamespace = (${ns}) AND relkind IN ('v','m') ORDER BY 1`,
      ),
      triggers: await rows(
        `SELECT c.relname AS table, t.tgname AS name, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = (${ns}) AND NOT t.tgisinternal AND t.tgparentid = 0 ORDER BY 1, 2`,
      ),
      functions: await rows(
        `SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS def, p.provolatile AS volatile, p.prokind AS kind
         FROM pg_proc p WHERE p.pronamespace = (${ns}) AND p.prokind IN ('f','p')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY 1`,
      ),
      sequences: await rows(
        `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a','i')) AS owned
         FROM pg_class c WHERE c.relnamespace = (${ns}) AND c.relkind = 'S' ORDER BY 1`,
      ),
      enums: await rows(
        `SELECT t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
         FROM pg_type t WHERE t.typnamespace = (${ns}) AND t.typtype = 'e' ORDER BY 1`,
      ),
      domains: await rows(
        `SELECT t.typname AS name, ARRAY(SELECT k.conname::text FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c') AS constraints
         FROM pg_type t WHERE t.typnamespace = (${ns}) AND t.typtype = 'd' ORDER BY 1`,
      ),
      policies: await rows(
        `SELECT c.relname AS table, p.polname AS name FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = (${ns}) ORDER BY 1, 2`,
      ),
      partitions: await rows(
        `SELECT c.relname AS table, p.relname AS parent, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_class c JOIN pg_inherits h ON h.inhrelid = c.oid JOIN pg_class p ON p.oid = h.inhparent
         WHERE c.relnamespace = (${ns}) AND c.relispartition AND c.relkind IN ('r','p') ORDER BY 1`,
      ),
    };
    return out;
  } finally {
    await c.end();
  }
}

/** A default for a column of type `type` that it does not have yet. */
function pgDefaultFor(col: PgColumn): string | null {
  if (col.textual) return "'mutated'";
  if (/^(integer|bigint|smallint|numeric|real|double)/.test(col.type)) return '7';
  if (col.type === 'boolean') return 'false';
  if (/^timestamp/.test(col.type)) return "'2001-02-03 04:05:06'";
  if (col.type === 'date') return "'2001-02-03'";
  return null;
}

/** The catalog of mutations for one PostgreSQL project, from what it has. */
function pgCatalog(t: PgTargets, schema: string): Mutation[] {
  const s = (name: string) => `${q(schema)}.${q(name)}`;
  const out: Mutation[] = [];
  const dump = (name: string, ...apply: string[]) => out.push({ name, kind: 'dump', apply });
  const spelling = (name: string, ...apply: string[]) => out.push({ name, kind: 'spelling', apply });
  const plainTables = t.tables.filter((x) => x.kind === 'r');
  const table = plainTables.find((x) => x.columns.length >= 2) ?? plainTables[0];

  // Tables.
  dump('table added', 'CREATE TABLE mut_new (id integer PRIMARY KEY, v text)');
  dump('partitioned table added', 'CREATE TABLE mut_p (k integer, v text) PARTITION BY RANGE (k)');
  dump(
    'partitioned table with a partition added',
    'CREATE TABLE mut_p (k integer, v text) PARTITION BY LIST (k)',
    'CREATE TABLE mut_p1 PARTITION OF mut_p FOR VALUES IN (1, 2)',
  );
  dump('composite type added', 'CREATE TYPE mut_pair AS (x integer, y text)');
  dump('enum added', "CREATE TYPE mut_mood AS ENUM ('sad', 'ok')");
  dump('domain added', "CREATE DOMAIN mut_email AS text CHECK (VALUE LIKE '%@%')");
  dump('sequence added', 'CREATE SEQUENCE mut_seq INCREMENT 3');
  dump('function added', "CREATE FUNCTION mut_f(x integer) RETURNS integer LANGUAGE sql AS 'SELECT x + 1'");
  dump('view added', 'CREATE VIEW mut_v AS SELECT 1 AS one');
  for (const x of plainTables.slice(0, 1)) {
    dump('table dropped', `DROP TABLE ${s(x.name)}`);
    dump('table renamed', `ALTER TABLE ${s(x.name)} RENAME TO mut_renamed`);
  }
  if (table) {
    const T = s(table.name);
    dump('column added', `ALTER TABLE ${T} ADD COLUMN mut_c integer`);
    dump('UNLOGGED', `ALTER TABLE ${T} SET UNLOGGED`);
    dump('ENABLE ROW LEVEL SECURITY', `ALTER TABLE ${T} ENABLE ROW LEVEL SECURITY`);
    dump('FORCE ROW LEVEL SECURITY', `ALTER TABLE ${T} FORCE ROW LEVEL SECURITY`);
    dump('policy added', `CREATE POLICY mut_pol ON ${T} FOR SELECT USING (true)`);
    dump('storage parameter (not compared)', `ALTER TABLE ${T} SET (fillfactor = 70)`);
    dump('comment (not compared)', `COMMENT ON TABLE ${T} IS 'mutated'`);
    dump('grant (not compared)', `GRANT SELECT ON ${T} TO PUBLIC`);
    dump('REPLICA IDENTITY (not compared)', `ALTER TABLE ${T} REPLICA IDENTITY FULL`);
    const col = table.columns.find((c) => !c.pk) ?? table.columns[0];
    dump(
      'EXCLUDE added',
      `ALTER TABLE ${T} ADD CONSTRAINT mut_excl EXCLUDE USING btree (${q(col.name)} WITH =)`,
    );
    dump('UNIQUE added', `ALTER TABLE ${T} ADD CONSTRAINT mut_uq UNIQUE (${q(col.name)})`);
    dump(
      'UNIQUE NULLS NOT DISTINCT added',
      `ALTER TABLE ${T} ADD CONSTRAINT mut_uq UNIQUE NULLS NOT DISTINCT (${q(col.name)})`,
    );
    dump(
      'UNIQUE DEFERRABLE INITIALLY DEFERRED added',
      `ALTER TABLE ${T} ADD CONSTRAINT mut_uq UNIQUE (${q(col.name)}) DEFERRABLE INITIALLY DEFERRED`,
    );
    dump(
      'CHECK added',
      `ALTER TABLE ${T} ADD CONSTRAINT mut_ck CHECK (length(${q(col.name)}::text) < 100000)`,
    );
    dump(
      'CHECK NOT VALID added',
      `ALTER TABLE ${T} ADD CONSTRAINT mut_ck CHECK (length(${q(col.name)}::text) < 100000) NOT VALID`,
    );
    dump('index added', `CREATE INDEX mut_ix ON ${T} (${q(col.name)})`);
    dump(
      'trigger added',
      `CREATE FUNCTION mut_tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'`,
      `CREATE TRIGGER mut_tg BEFORE INSERT ON ${T} FOR EACH ROW EXECUTE FUNCTION mut_tf()`,
    );
    dump(
      'materialized view with an index added',
      `CREATE MATERIALIZED VIEW mut_mv AS SELECT * FROM ${T}`,
      `CREATE INDEX mut_mv_ix ON mut_mv (${q(col.name)})`,
    );
    const textCol = table.columns.find((c) => c.textual && !c.pk);
    if (textCol) {
      dump(
        'index with operator class added',
        `CREATE INDEX mut_ix ON ${T} (${q(textCol.name)} text_pattern_ops)`,
      );
    }
  }

  // Columns: each property on the first column that has it.
  const firstColumn = (pred: (c: PgColumn, t: PgTable) => boolean) => {
    for (const x of plainTables)
      for (const c of x.columns) if (pred(c, x)) return { T: s(x.name), C: q(c.name), c };
    return null;
  };
  const textCol = firstColumn((c) => c.textual && !c.pk);
  if (textCol) {
    dump(
      'column type text -> varchar(4000) or back',
      `ALTER TABLE ${textCol.T} ALTER COLUMN ${textCol.C} TYPE ${textCol.c.type === 'text' ? 'varchar(4000)' : 'text'}`,
    );
    dump(
      'column collation',
      `ALTER TABLE ${textCol.T} ALTER COLUMN ${textCol.C} TYPE ${textCol.c.type} COLLATE "C"`,
    );
    dump(
      'column statistics target (not compared)',
      `ALTER TABLE ${textCol.T} ALTER COLUMN ${textCol.C} SET STATISTICS 500`,
    );
    dump(
      'column storage (not compared)',
      `ALTER TABLE ${textCol.T} ALTER COLUMN ${textCol.C} SET STORAGE EXTERNAL`,
    );
  }
  const intCol = firstColumn((c) => c.type === 'integer' && !c.pk);
  if (intCol)
    dump('column type integer -> bigint', `ALTER TABLE ${intCol.T} ALTER COLUMN ${intCol.C} TYPE bigint`);
  const notNull = firstColumn((c) => c.notnull && !c.pk);
  if (notNull) dump('DROP NOT NULL', `ALTER TABLE ${notNull.T} ALTER COLUMN ${notNull.C} DROP NOT NULL`);
  const nullable = firstColumn((c) => !c.notnull);
  if (nullable) dump('SET NOT NULL', `ALTER TABLE ${nullable.T} ALTER COLUMN ${nullable.C} SET NOT NULL`);
  const noDefault = firstColumn((c) => c.default === null && !c.pk && pgDefaultFor(c) !== null);
  if (noDefault) {
    dump(
      'default added',
      `ALTER TABLE ${noDefault.T} ALTER COLUMN ${noDefault.C} SET DEFAULT ${pgDefaultFor(noDefault.c)}`,
    );
    dump('DEFAULT NULL added', `ALTER TABLE ${noDefault.T} ALTER COLUMN ${noDefault.C} SET DEFAULT NULL`);
  }
  const withDefault = firstColumn(
    (c) => c.default !== null && !/nextval/.test(c.default) && pgDefaultFor(c) !== null,
  );
  if (withDefault) {
    const d = withDefault.c.default as string;
    dump('default dropped', `ALTER TABLE ${withDefault.T} ALTER COLUMN ${withDefault.C} DROP DEFAULT`);
    dump(
      'default changed',
      `ALTER TABLE ${withDefault.T} ALTER COLUMN ${withDefault.C} SET DEFAULT ${withDefault.c.textual ? "'mutated 2'" : /^(integer|bigint|smallint|numeric|real|double)/.test(withDefault.c.type) ? '70707' : `(${d}) IS NULL`}`,
    );
    spelling(
      'default respelled',
      `ALTER TABLE ${withDefault.T} ALTER COLUMN ${withDefault.C} SET DEFAULT ( ${respell(d)} )`,
    );
    if (/^now\(\)$/.test(d))
      spelling(
        'default now() as CURRENT_TIMESTAMP',
        `ALTER TABLE ${withDefault.T} ALTER COLUMN ${withDefault.C} SET DEFAULT CURRENT_TIMESTAMP`,
      );
  }
  const nowDefault = firstColumn((c) => c.default === 'now()' || c.default === 'CURRENT_TIMESTAMP');
  if (nowDefault)
    spelling(
      'default now() <-> CURRENT_TIMESTAMP',
      `ALTER TABLE ${nowDefault.T} ALTER COLUMN ${nowDefault.C} SET DEFAULT ${nowDefault.c.default === 'now()' ? 'CURRENT_TIMESTAMP' : 'now()'}`,
    );
  const plain = firstColumn(
    (c, x) =>
      !c.pk &&
      !c.notnull &&
      c.default === null &&
      x.columns.length > 1 &&
      !t.constraints.some((k) => k.table === x.name && k.def.includes(c.name)) &&
      !t.indexes.some((i) => i.table === x.name && i.def.includes(c.name)),
  );
  if (plain) {
    dump(
      'column dropped and re-added alike (column order, not compared)',
      `ALTER TABLE ${plain.T} DROP COLUMN ${plain.C}`,
      `ALTER TABLE ${plain.T} ADD COLUMN ${plain.C} ${plain.c.type}`,
    );
    dump('column dropped', `ALTER TABLE ${plain.T} DROP COLUMN ${plain.C}`);
    dump('column renamed', `ALTER TABLE ${plain.T} RENAME COLUMN ${plain.C} TO mut_renamed`);
  }

  // Constraints.
  const first = (type: string, pred: (d: string) => boolean = () => true) =>
    t.constraints.find((k) => k.type === type && pred(k.def));
  const check = first('c');
  if (check) {
    const T = s(check.table);
    const expr = check.def.replace(/^CHECK /, '').replace(/ NOT VALID$/, '');
    dump('CHECK dropped', `ALTER TABLE ${T} DROP CONSTRAINT ${q(check.name)}`);
    dump(
      'CHECK changed',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(check.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(check.name)} CHECK (NOT ${expr}) NOT VALID`,
    );
    dump(
      'CHECK made NOT VALID',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(check.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(check.name)} CHECK ${expr} NOT VALID`,
    );
    dump(
      'CHECK made NO INHERIT',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(check.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(check.name)} CHECK ${expr} NO INHERIT`,
    );
    dump(
      'CHECK renamed (not compared)',
      `ALTER TABLE ${T} RENAME CONSTRAINT ${q(check.name)} TO mut_renamed`,
    );
    spelling(
      'CHECK respelled',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(check.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(check.name)} CHECK ( ${respell(expr)} )`,
    );
  }
  const inList = first('c', (d) => /= ANY \(/.test(d));
  if (inList) {
    const T = s(inList.table);
    const expr = inList.def.replace(/^CHECK /, '');
    // `ARRAY[...]::text[]` written the way a pg_dump/restore round trip re-parses it.
    spelling(
      'CHECK IN list re-parsed',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(inList.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(inList.name)} CHECK ${expr}`,
    );
  }
  const unique = first('u');
  if (unique) {
    const T = s(unique.table);
    const cols = unique.def.replace(/^UNIQUE /, '');
    dump('UNIQUE dropped', `ALTER TABLE ${T} DROP CONSTRAINT ${q(unique.name)}`);
    dump(
      'UNIQUE made NULLS NOT DISTINCT',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(unique.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(unique.name)} UNIQUE NULLS NOT DISTINCT ${cols}`,
    );
    dump(
      'UNIQUE made DEFERRABLE',
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(unique.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(unique.name)} UNIQUE ${cols} DEFERRABLE`,
    );
    dump(
      'UNIQUE renamed (not compared)',
      `ALTER TABLE ${T} RENAME CONSTRAINT ${q(unique.name)} TO mut_renamed`,
    );
  }
  const pk = first('p');
  if (pk) {
    dump('PRIMARY KEY dropped', `ALTER TABLE ${s(pk.table)} DROP CONSTRAINT ${q(pk.name)}`);
    dump(
      'PRIMARY KEY renamed (not compared)',
      `ALTER TABLE ${s(pk.table)} RENAME CONSTRAINT ${q(pk.name)} TO mut_renamed`,
    );
  }
  const fk = first('f');
  if (fk) {
    const T = s(fk.table);
    const readd = (def: string) => [
      `ALTER TABLE ${T} DROP CONSTRAINT ${q(fk.name)}`,
      `ALTER TABLE ${T} ADD CONSTRAINT ${q(fk.name)} ${def}`,
    ];
    dump('FOREIGN KEY dropped', `ALTER TABLE ${T} DROP CONSTRAINT ${q(fk.name)}`);
    dump(
      'FOREIGN KEY ON DELETE changed',
      ...readd(
        /ON DELETE CASCADE/.test(fk.def)
          ? fk.def.replace(/ ON DELETE CASCADE/, ' ON DELETE RESTRICT')
          : `${fk.def} ON DELETE CASCADE`,
      ),
    );
    dump('FOREIGN KEY NOT VALID', ...readd(`${fk.def} NOT VALID`));
    dump(
      'FOREIGN KEY MATCH FULL',
      ...readd(fk.def.replace(/\) REFERENCES (\S+)\(([^)]*)\)/, ') REFERENCES $1($2) MATCH FULL')),
    );
    dump(
      'FOREIGN KEY DEFERRABLE toggled',
      `ALTER TABLE ${T} ALTER CONSTRAINT ${q(fk.name)} ${/DEFERRABLE/.test(fk.def) && !/NOT DEFERRABLE/.test(fk.def) ? 'NOT DEFERRABLE' : 'DEFERRABLE INITIALLY DEFERRED'}`,
    );
    dump(
      'FOREIGN KEY renamed (not compared)',
      `ALTER TABLE ${T} RENAME CONSTRAINT ${q(fk.name)} TO mut_renamed`,
    );
  }

  // Indexes: each property changed on the first index of a table.
  const index = t.indexes.find((i) => !i.matview);
  if (index) {
    const I = s(index.name);
    const open = index.def.indexOf('(', index.def.indexOf(' USING '));
    const close = closingParen(index.def, open);
    const keys = index.def.slice(open + 1, close);
    const rest = index.def.slice(close + 1);
    const firstKey = keys.split(',')[0];
    const withKeys = (k: string, extra = '') =>
      `${index.def.slice(0, open + 1)}${k}${index.def.slice(close, close + 1)}${extra}${rest}`;
    const recreate = (def: string) => [`DROP INDEX ${I}`, def];
    dump('index dropped', `DROP INDEX ${I}`);
    dump('index renamed', `ALTER INDEX ${I} RENAME TO mut_renamed`);
    dump(
      'index INCLUDE added',
      ...recreate(
        / INCLUDE /.test(rest)
          ? withKeys(keys).replace(/ INCLUDE \([^)]*\)/, '')
          : `${index.def.slice(0, close + 1)} INCLUDE (${t.tables.find((x) => x.name === index.table)?.columns.find((c) => !keys.includes(c.name))?.name ?? 'ctid'})${rest}`,
      ),
    );
    dump('index key DESC', ...recreate(withKeys(keys.replace(firstKey, `${firstKey} DESC`))));
    dump('index key NULLS FIRST', ...recreate(withKeys(keys.replace(firstKey, `${firstKey} NULLS FIRST`))));
    dump('index key COLLATE "C"', ...recreate(withKeys(keys.replace(firstKey, `${firstKey} COLLATE "C"`))));
    dump(
      'index key operator class',
      ...recreate(withKeys(keys.replace(firstKey, `${firstKey} text_pattern_ops`))),
    );
    dump(
      'index partial predicate',
      ...recreate(
        / WHERE /.test(rest)
          ? index.def.replace(/ WHERE .*$/, '')
          : `${index.def} WHERE ${firstKey} IS NOT NULL`,
      ),
    );
    dump(
      'index uniqueness toggled',
      ...recreate(
        index.unique
          ? index.def.replace('CREATE UNIQUE INDEX', 'CREATE INDEX')
          : index.def.replace('CREATE INDEX', 'CREATE UNIQUE INDEX'),
      ),
    );
    dump('index method hash', ...recreate(index.def.replace(/ USING \w+ /, ' USING hash ')));
    dump('index statistics / storage parameter (not compared)', `ALTER INDEX ${I} SET (fillfactor = 50)`);
    if (index.table === t.tables.find((x) => x.name === index.table)?.name)
      dump('CLUSTER ON (not compared)', `ALTER TABLE ${s(index.table)} CLUSTER ON ${q(index.name)}`);
    // A failed CREATE INDEX CONCURRENTLY leaves this catalog state (indisvalid false).
    dump(
      'index left INVALID',
      `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${s(index.name)}'::regclass`,
    );
    spelling('index respelled', ...recreate(respell(index.def)));
  }
  const mvIndex = t.indexes.find((i) => i.matview);
  if (mvIndex) dump('index of a materialized view dropped', `DROP INDEX ${s(mvIndex.name)}`);
  const mv = t.views.find((v) => v.kind === 'm');
  if (mv) dump('index on a materialized view added', `CREATE INDEX mut_mv_ix ON ${s(mv.name)} ((1))`);

  // Views.
  const view = t.views.find((v) => v.kind === 'v');
  if (view) {
    const V = s(view.name);
    const body = view.def.trim().replace(/;$/, '');
    dump('view changed', `CREATE OR REPLACE VIEW ${V} AS SELECT s.*, 1 AS mut_one FROM (${body}) s`);
    dump('view dropped', `DROP VIEW ${V}`);
    dump('view option (not compared)', `ALTER VIEW ${V} SET (security_barrier = true)`);
    spelling('view respelled', `CREATE OR REPLACE VIEW ${V} AS ${respell(body)}`);
  }
  if (mv) dump('materialized view dropped', `DROP MATERIALIZED VIEW ${s(mv.name)}`);

  // Triggers, functions, sequences, enums, domains, policies, partitions.
  const trigger = t.triggers[0];
  if (trigger) {
    dump('trigger dropped', `DROP TRIGGER ${q(trigger.name)} ON ${s(trigger.table)}`);
    dump('trigger disabled', `ALTER TABLE ${s(trigger.table)} DISABLE TRIGGER ${q(trigger.name)}`);
    dump(
      'trigger enabled ALWAYS',
      `ALTER TABLE ${s(trigger.table)} ENABLE ALWAYS TRIGGER ${q(trigger.name)}`,
    );
    dump(
      'trigger events changed',
      `DROP TRIGGER ${q(trigger.name)} ON ${s(trigger.table)}`,
      trigger.def
        .replace(/ (INSERT|UPDATE|DELETE) /, / OR TRUNCATE /.test(trigger.def) ? ' $1 ' : ' $1 OR DELETE ')
        .replace(/ OR DELETE OR DELETE/, ' OR INSERT'),
    );
  }
  const fn = t.functions.find((f) => f.kind === 'f' && /\$function\$\s*$/.test(f.def));
  if (fn) {
    const body = fn.def.indexOf('$function$') + '$function$'.length;
    const plpgsql = / LANGUAGE plpgsql/i.test(fn.def);
    const changed = plpgsql
      ? fn.def.slice(0, body) + fn.def.slice(body).replace(/\bBEGIN\b/i, 'BEGIN PERFORM 1;')
      : `${fn.def.slice(0, body)}SELECT 1;${fn.def.slice(body)}`;
    dump('function body changed', changed);
    spelling('function body comment added', fn.def.replace(/\$function\$\s*$/, '-- a comment\n$function$'));
    dump(
      'function volatility changed',
      `ALTER FUNCTION ${fn.signature} ${fn.volatile === 'v' ? 'STABLE' : 'VOLATILE'}`,
    );
    dump('function cost changed', `ALTER FUNCTION ${fn.signature} COST 4321`);
    dump('function dropped', `DROP FUNCTION ${fn.signature}`);
  }
  const seq = t.sequences.find((x) => x.owned) ?? t.sequences[0];
  if (seq) {
    dump('sequence increment changed', `ALTER SEQUENCE ${s(seq.name)} INCREMENT 3`);
    dump('sequence CYCLE', `ALTER SEQUENCE ${s(seq.name)} CYCLE`);
    dump('sequence max value', `ALTER SEQUENCE ${s(seq.name)} MAXVALUE 99999`);
  }
  const free = t.sequences.find((x) => !x.owned);
  if (free) dump('sequence dropped', `DROP SEQUENCE ${s(free.name)}`);
  const en = t.enums[0];
  if (en) {
    dump('enum value added', `ALTER TYPE ${s(en.name)} ADD VALUE 'mutated'`);
    dump('enum value renamed', `ALTER TYPE ${s(en.name)} RENAME VALUE ${lit(en.labels[0])} TO 'mutated'`);
    dump('enum renamed', `ALTER TYPE ${s(en.name)} RENAME TO mut_renamed`);
  }
  const dom = t.domains[0];
  if (dom) {
    dump(
      'domain CHECK added',
      `ALTER DOMAIN ${s(dom.name)} ADD CONSTRAINT mut_ck CHECK (VALUE IS NOT NULL) NOT VALID`,
    );
    dump('domain default set', `ALTER DOMAIN ${s(dom.name)} SET DEFAULT NULL`);
    if (dom.constraints[0])
      dump('domain CHECK dropped', `ALTER DOMAIN ${s(dom.name)} DROP CONSTRAINT ${q(dom.constraints[0])}`);
  }
  const policy = t.policies[0];
  if (policy) dump('policy dropped', `DROP POLICY ${q(policy.name)} ON ${s(policy.table)}`);
  const part = t.partitions[0];
  if (part) {
    dump('partition detached', `ALTER TABLE ${s(part.parent)} DETACH PARTITION ${s(part.table)}`);
    dump(
      'partition bound changed',
      `ALTER TABLE ${s(part.parent)} DETACH PARTITION ${s(part.table)}`,
      `ALTER TABLE ${s(part.parent)} ATTACH PARTITION ${s(part.table)} DEFAULT`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SQLite

interface SqliteObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string;
}

/**
 * Replaces table `name` by one created with `sql` (SQLite's documented 12-step procedure,
 * https://sqlite.org/lang_altertable.html#otheralter): rename the old one away, create the new
 * one, copy the rows, drop the old one, re-create its indexes and triggers as they were.
 */
function rebuild(db: Database.Database, name: string, sql: string): void {
  const dependents = db
    .prepare(
      "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .all(name) as { sql: string }[];
  const columns = (table: string) =>
    (
      db.prepare(`SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`).all(table) as { name: string }[]
    ).map((c) => c.name);
  db.pragma('foreign_keys = OFF');
  db.pragma('legacy_alter_table = ON');
  db.transaction(() => {
    db.exec(`ALTER TABLE ${q(name)} RENAME TO mut_old`);
    db.exec(sql);
    const common = columns(name)
      .filter((c) => columns('mut_old').includes(c))
      .map(q)
      .join(', ');
    db.exec(`INSERT INTO ${q(name)} (${common}) SELECT ${common} FROM mut_old`);
    db.exec('DROP TABLE mut_old');
    for (const d of dependents) db.exec(d.sql);
  })();
}

/** Table `name`'s CREATE statement with `edit` applied to its column-list items. */
function editTable(sql: string, edit: (items: string[]) => string[] | null): string | null {
  const parts = tableParts(sql);
  if (!parts) return null;
  const items = edit([...parts.items]);
  return items === null ? null : `${parts.head}${items.join(', ')}${parts.tail}`;
}

function sqliteCatalog(
  objects: SqliteObject[],
  columnInfo: (
    t: string,
  ) => { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[],
): Mutation[] {
  const out: Mutation[] = [];
  const dump = (name: string, apply: (db: Database.Database) => void) =>
    out.push({ name, kind: 'dump', apply });
  const spelling = (name: string, apply: (db: Database.Database) => void) =>
    out.push({ name, kind: 'spelling', apply });
  const tables = objects.filter(
    (o) => o.type === 'table' && !/^\s*CREATE\s+VIRTUAL/i.test(o.sql) && !/^dbdoctor_/.test(o.name),
  );
  const exec = (sql: string) => (db: Database.Database) => db.exec(sql);
  const edited = (
    name: string,
    table: SqliteObject,
    edit: (items: string[]) => string[] | null,
    kind: Mutation['kind'] = 'dump',
  ) => {
    const sql = editTable(table.sql, edit);
    if (sql !== null) out.push({ name, kind, apply: (db) => rebuild(db, table.name, sql) });
  };
  const colIndex = (items: string[], col: string) =>
    items.findIndex(
      (i) =>
        isColumnItem(i) &&
        i
          .replace(/^["`[]?/, '')
          .toLowerCase()
          .startsWith(col.toLowerCase()),
    );

  dump('table added', exec('CREATE TABLE mut_new (id INTEGER PRIMARY KEY, v TEXT)'));
  dump('FTS5 table added', exec('CREATE VIRTUAL TABLE mut_fts USING fts5(a, b)'));
  dump('view added', exec('CREATE VIEW mut_v AS SELECT 1 AS one'));
  const table = tables.find((t) => columnInfo(t.name).length >= 2) ?? tables[0];
  if (table) {
    const T = q(table.name);
    const cols = columnInfo(table.name);
    const col = cols.find((c) => c.pk === 0) ?? cols[0];
    dump('table dropped', exec(`PRAGMA foreign_keys = OFF; DROP TABLE ${T}`));
    dump('table renamed', exec(`PRAGMA legacy_alter_table = ON; ALTER TABLE ${T} RENAME TO mut_renamed`));
    dump('column added', exec(`ALTER TABLE ${T} ADD COLUMN mut_c INTEGER`));
    dump('index added', exec(`CREATE INDEX mut_ix ON ${T} (${q(col.name)})`));
    dump(
      'index with COLLATE NOCASE added',
      exec(`CREATE INDEX mut_ix ON ${T} (${q(col.name)} COLLATE NOCASE)`),
    );
    dump('trigger added', exec(`CREATE TRIGGER mut_tg AFTER INSERT ON ${T} BEGIN SELECT 1; END`));
    const at = (items: string[]) => colIndex(items, col.name);
    edited('column type changed', table, (items) => {
      const i = at(items);
      if (i < 0) return null;
      items[i] =
        `${q(col.name)} ${/INT/i.test(col.type) ? 'TEXT' : 'INTEGER'}${items[i].replace(/^("[^"]*"|`[^`]*`|\[[^\]]*\]|\S+)(\s+[A-Za-z]+(\s*\([^)]*\))?)?/, '')}`;
      return items;
    });
    edited(col.notnull ? 'NOT NULL dropped' : 'NOT NULL added', table, (items) => {
      const i = at(items);
      if (i < 0) return null;
      items[i] = col.notnull ? items[i].replace(/\s+NOT\s+NULL/i, '') : `${items[i]} NOT NULL`;
      return items;
    });
    edited(col.dflt_value === null ? 'default added' : 'default dropped', table, (items) => {
      const i = at(items);
      if (i < 0) return null;
      items[i] =
        col.dflt_value === null
          ? `${items[i]} DEFAULT 7`
          : items[i].replace(/\s+DEFAULT\s+('(?:[^']|'')*'|\([^)]*\)|\S+)/i, '');
      return items;
    });
    edited('column collation NOCASE', table, (items) => {
      const i = at(items);
      if (i < 0 || /COLLATE/i.test(items[i])) return null;
      items[i] = `${items[i]} COLLATE NOCASE`;
      return items;
    });
    edited('CHECK added', table, (items) => [...items, `CHECK (length(${q(col.name)}) < 100000)`]);
    const notUnique = cols.find(
      (c) =>
        c.pk === 0 && !new RegExp(`${c.name}\\W[^,]*UNIQUE|UNIQUE\\s*\\([^)]*${c.name}`, 'i').test(table.sql),
    );
    if (notUnique) edited('UNIQUE added', table, (items) => [...items, `UNIQUE (${q(notUnique.name)})`]);
    edited('constraint name added (not compared)', table, (items) => {
      const i = items.findIndex((x) => /^(CHECK|UNIQUE|FOREIGN|PRIMARY)\b/i.test(x));
      if (i < 0) return null;
      items[i] = `CONSTRAINT mut_named ${items[i]}`;
      return items;
    });
    if (cols.length >= 2)
      edited('columns reordered (not compared)', table, (items) => {
        const i = items.findIndex(isColumnItem);
        const j = items.findIndex((x, k) => k > i && isColumnItem(x));
        if (i < 0 || j < 0) return null;
        [items[i], items[j]] = [items[j], items[i]];
        return items;
      });
    const strict = /\)\s*(WITHOUT\s+ROWID\s*,\s*)?STRICT\s*(,\s*WITHOUT\s+ROWID\s*)?$/i.test(table.sql);
    const withoutRowid = /WITHOUT\s+ROWID\s*(,\s*STRICT\s*)?$/i.test(table.sql);
    if (strict)
      out.push({
        name: 'STRICT removed',
        kind: 'dump',
        apply: (db) =>
          rebuild(
            db,
            table.name,
            table.sql.replace(/,?\s*STRICT\s*(,)?/i, (_m, comma) => (comma ? ' ' : '')),
          ),
      });
    else if (
      !cols.some(
        (c) => /^(|ANY)$/i.test(c.type) === false && !/^(INT|INTEGER|REAL|TEXT|BLOB|ANY)$/i.test(c.type),
      )
    )
      out.push({
        name: 'STRICT added',
        kind: 'dump',
        apply: (db) => rebuild(db, table.name, `${table.sql}${withoutRowid ? ',' : ''} STRICT`),
      });
    if (withoutRowid)
      out.push({
        name: 'WITHOUT ROWID removed',
        kind: 'dump',
        apply: (db) =>
          rebuild(
            db,
            table.name,
            table.sql.replace(/,?\s*WITHOUT\s+ROWID/i, '').replace(/\)\s*,\s*STRICT/i, ') STRICT'),
          ),
      });
    else if (cols.some((c) => c.pk > 0) && !/AUTOINCREMENT/i.test(table.sql))
      out.push({
        name: 'WITHOUT ROWID added',
        kind: 'dump',
        apply: (db) => rebuild(db, table.name, `${table.sql} WITHOUT ROWID`),
      });
    spelling('table respelled (case, spacing, quoted names)', (db) =>
      rebuild(
        db,
        table.name,
        respell(table.sql).replace(
          /\bcreate\s+table\s+("[^"]*"|\S+)/,
          `CREATE TABLE "${table.name.replaceAll('"', '""')}"`,
        ),
      ),
    );
  }
  const checked = tables.find((t) => /\bCHECK\s*\(/i.test(t.sql));
  if (checked) {
    const m = /\bCHECK\s*\(/i.exec(checked.sql) as RegExpExecArray;
    const open = m.index + m[0].length - 1;
    const close = closingParen(checked.sql, open);
    const expr = checked.sql.slice(open + 1, close);
    const replace = (text: string) =>
      `${checked.sql.slice(0, m.index)}${text}${checked.sql.slice(close + 1)}`;
    dump('CHECK changed', (db) => rebuild(db, checked.name, replace(`CHECK (NOT (${expr}))`)));
    dump('CHECK respelled', (db) =>
      rebuild(db, checked.name, replace(`check(${expr.replace(/\s+/g, '').replace(/([<>=!]+)/g, ' $1 ')})`)),
    );
    spelling('CHECK respelled (whitespace)', (db) =>
      rebuild(db, checked.name, replace(`CHECK (  ${expr.replace(/\s+/g, '  ')}  )`)),
    );
  }
  const fkTable = tables.find((t) => /\bREFERENCES\b/i.test(t.sql));
  if (fkTable) {
    const sql = fkTable.sql;
    dump('FOREIGN KEY ON DELETE changed', (db) => {
      const action = /ON\s+DELETE\s+(NO\s+ACTION|RESTRICT|CASCADE|SET\s+NULL|SET\s+DEFAULT)/i.exec(sql);
      rebuild(
        db,
        fkTable.name,
        action
          ? sql.replace(action[0], /CASCADE/i.test(action[1]) ? 'ON DELETE RESTRICT' : 'ON DELETE CASCADE')
          : sql.replace(
              /(REFERENCES\s+("[^"]*"|`[^`]*`|\[[^\]]*\]|\w+)\s*(\([^)]*\))?)/i,
              '$1 ON DELETE CASCADE',
            ),
      );
    });
    dump('FOREIGN KEY DEFERRABLE toggled', (db) =>
      rebuild(
        db,
        fkTable.name,
        /DEFERRABLE\s+INITIALLY\s+DEFERRED/i.test(sql)
          ? sql.replace(/\s*DEFERRABLE\s+INITIALLY\s+DEFERRED/i, '')
          : sql.replace(
              /(REFERENCES\s+("[^"]*"|`[^`]*`|\[[^\]]*\]|\w+)\s*(\([^)]*\))?)/i,
              '$1 DEFERRABLE INITIALLY DEFERRED',
            ),
      ),
    );
  }
  const auto = tables.find((t) => /AUTOINCREMENT/i.test(t.sql));
  if (auto)
    dump('AUTOINCREMENT removed', (db) => rebuild(db, auto.name, auto.sql.replace(/\s*AUTOINCREMENT/i, '')));
  const index = objects.find((o) => o.type === 'index' && o.sql);
  if (index) {
    const I = q(index.name);
    const recreate = (sql: string) => exec(`DROP INDEX ${I}; ${sql}`);
    const open = index.sql.indexOf('(');
    const close = closingParen(index.sql, open);
    const keys = index.sql.slice(open + 1, close);
    const firstKey = keys.split(',')[0].trim();
    const withFirstKey = (k: string) =>
      `${index.sql.slice(0, open + 1)}${keys.replace(firstKey, k)}${index.sql.slice(close)}`;
    dump('index dropped', exec(`DROP INDEX ${I}`));
    dump(
      'index renamed',
      recreate(
        index.sql.replace(
          /INDEX\s+(IF\s+NOT\s+EXISTS\s+)?("[^"]*"|`[^`]*`|\[[^\]]*\]|\S+)/i,
          'INDEX mut_renamed',
        ),
      ),
    );
    dump(
      'index uniqueness toggled',
      recreate(
        /UNIQUE/i.test(index.sql.slice(0, open))
          ? index.sql.replace(/UNIQUE\s+/i, '')
          : index.sql.replace(/CREATE\s+INDEX/i, 'CREATE UNIQUE INDEX'),
      ),
    );
    dump(
      'index partial predicate',
      recreate(
        /\bWHERE\b/i.test(index.sql.slice(close))
          ? index.sql.slice(0, close + 1)
          : `${index.sql} WHERE ${firstKey.split(/\s/)[0]} IS NOT NULL`,
      ),
    );
    dump(
      'index key DESC',
      recreate(
        withFirstKey(/\bDESC\b/i.test(firstKey) ? firstKey.replace(/\s+DESC/i, '') : `${firstKey} DESC`),
      ),
    );
    dump(
      'index key COLLATE NOCASE',
      recreate(
        withFirstKey(
          /COLLATE/i.test(firstKey)
            ? firstKey.replace(/\s+COLLATE\s+\w+/i, '')
            : `${firstKey} COLLATE NOCASE`,
        ),
      ),
    );
    spelling('index respelled', recreate(respell(index.sql)));
  }
  const view = objects.find((o) => o.type === 'view');
  if (view) {
    dump('view dropped', exec(`DROP VIEW ${q(view.name)}`));
    dump(
      'view changed',
      exec(
        `DROP VIEW ${q(view.name)}; ${view.sql.replace(/\bAS\b/i, 'AS SELECT * FROM (').concat(') WHERE 0')}`,
      ),
    );
    spelling('view respelled', exec(`DROP VIEW ${q(view.name)}; ${respell(view.sql)}`));
  }
  const trigger = objects.find((o) => o.type === 'trigger');
  if (trigger) {
    dump('trigger dropped', exec(`DROP TRIGGER ${q(trigger.name)}`));
    dump(
      'trigger changed',
      exec(`DROP TRIGGER ${q(trigger.name)}; ${trigger.sql.replace(/\bEND\s*$/i, 'SELECT 2; END')}`),
    );
    spelling('trigger respelled', exec(`DROP TRIGGER ${q(trigger.name)}; ${respell(trigger.sql)}`));
  }
  const fts = objects.find((o) => o.type === 'table' && /USING\s+fts5/i.test(o.sql));
  if (fts) {
    dump(
      'FTS5 tokenizer changed',
      exec(`DROP TABLE ${q(fts.name)}; ${fts.sql.replace(/\)\s*$/, ", tokenize = 'porter unicode61')")}`),
    );
    spelling('FTS5 table respelled', exec(`DROP TABLE ${q(fts.name)}; ${respell(fts.sql)}`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB

interface MyColumn {
  table: string;
  name: string;
  columnType: string;
  nullable: boolean;
  default: string | null;
  extra: string;
  generated: boolean;
  key: string;
}
interface MyTargets {
  tables: { name: string; referenced: boolean; hasForeignKeys: boolean }[];
  columns: MyColumn[];
  indexes: { table: string; name: string; unique: boolean; columns: string[]; servesForeignKey: boolean }[];
  foreignKeys: {
    table: string;
    name: string;
    columns: string[];
    refTable: string;
    refColumns: string[];
    onDelete: string;
  }[];
  checks: { table: string; name: string; clause: string }[];
  views: { name: string; definition: string; checkOption: string }[];
  triggers: { table: string; name: string; timing: string; event: string; body: string }[];
  functions: { name: string; kind: string }[];
  sequences: string[];
  /** MariaDB's tables WITH SYSTEM VERSIONING. */
  versioned: string[];
}

const bq = (name: string) => `\`${name.replaceAll('`', '``')}\``;

async function mysqlTargets(url: string): Promise<MyTargets> {
  const c = await mysqlClient(url);
  try {
    const rows = async <T>(sql: string) => (await c.query(sql))[0] as T[];
    const here = 'TABLE_SCHEMA = DATABASE()';
    const own = "TABLE_NAME NOT LIKE 'dbdoctor\\_%'";
    const fkRows = await rows<{
      table: string;
      name: string;
      column: string;
      refTable: string;
      refColumn: string;
      onDelete: string;
    }>(
      `SELECT k.TABLE_NAME AS \`table\`, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS \`column\`,
              k.REFERENCED_TABLE_NAME AS refTable, k.REFERENCED_COLUMN_NAME AS refColumn, r.DELETE_RULE AS onDelete
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        WHERE k.TABLE_SCHEMA = DATABASE() ORDER BY 1, 2, k.ORDINAL_POSITION`,
    );
    const foreignKeys: MyTargets['foreignKeys'] = [];
    for (const r of fkRows) {
      let fk = foreignKeys.find((f) => f.table === r.table && f.name === r.name);
      if (!fk) {
        fk = {
          table: r.table,
          name: r.name,
          columns: [],
          refTable: r.refTable,
          refColumns: [],
          onDelete: r.onDelete,
        };
        foreignKeys.push(fk);
      }
      fk.columns.push(r.column);
      fk.refColumns.push(r.refColumn);
    }
    const tables = (
      await rows<{ name: string }>(
        `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE ${here} AND ${own} AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`,
      )
    ).map((t) => ({
      name: t.name,
      referenced: foreignKeys.some((f) => f.refTable === t.name),
      hasForeignKeys: foreignKeys.some((f) => f.table === t.name),
    }));
    const columns = (
      await rows<{
        table: string;
        name: string;
        columnType: string;
        nullable: string;
        default: string | null;
        extra: string;
        generated: string | null;
        key: string;
      }>(
        `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable,
                COLUMN_DEFAULT AS \`default\`, EXTRA AS extra, GENERATION_EXPRESSION AS \`generated\`, COLUMN_KEY AS \`key\`
           FROM information_schema.COLUMNS WHERE ${here} AND ${own} ORDER BY 1, ORDINAL_POSITION`,
      )
    ).map((x) => ({ ...x, nullable: x.nullable === 'YES', generated: x.generated !== null }));
    const stat = await rows<{ table: string; name: string; unique: number; column: string }>(
      `SELECT TABLE_NAME AS \`table\`, INDEX_NAME AS name, NON_UNIQUE = 0 AS \`unique\`, COLUMN_NAME AS \`column\`
         FROM information_schema.STATISTICS WHERE ${here} AND ${own} AND INDEX_NAME <> 'PRIMARY' ORDER BY 1, 2, SEQ_IN_INDEX`,
    );
    const indexes: MyTargets['indexes'] = [];
    for (const r of stat) {
      let ix = indexes.find((i) => i.table === r.table && i.name === r.name);
      if (!ix) {
        ix = {
          table: r.table,
          name: r.name,
          unique: Number(r.unique) === 1,
          columns: [],
          servesForeignKey: false,
        };
        indexes.push(ix);
      }
      ix.columns.push(r.column);
    }
    for (const ix of indexes)
      ix.servesForeignKey = foreignKeys.some(
        (f) => f.table === ix.table && f.columns.every((col, i) => ix.columns[i] === col),
      );
    return {
      tables,
      columns,
      indexes,
      foreignKeys,
      checks: await rows(
        `SELECT TABLE_NAME AS \`table\`, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
          WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2`,
      ),
      views: await rows(
        `SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition, CHECK_OPTION AS checkOption FROM information_schema.VIEWS WHERE ${here} ORDER BY 1`,
      ),
      triggers: await rows(
        `SELECT EVENT_OBJECT_TABLE AS \`table\`, TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event,
                ACTION_STATEMENT AS body
           FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
      ),
      functions: await rows(
        'SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS kind FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1',
      ),
      sequences: (
        await rows<{ name: string }>(
          `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE ${here} AND TABLE_TYPE = 'SEQUENCE' ORDER BY 1`,
        )
      ).map((x) => x.name),
      versioned: (
        await rows<{ name: string }>(
          `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE ${here} AND TABLE_TYPE = 'SYSTEM VERSIONED' ORDER BY 1`,
        )
      ).map((x) => x.name),
    };
  } finally {
    await c.end();
  }
}

/** A column's definition as MODIFY restates it, with `change` applied to its parts. */
function myColumnDefinition(
  col: MyColumn,
  change: Partial<{ type: string; nullable: boolean; default: string | null; extra: string }> = {},
): string {
  const type = change.type ?? col.columnType;
  const nullable = change.nullable ?? col.nullable;
  const def = 'default' in change ? change.default : col.default;
  // MariaDB reports defaults as SQL (quoted literals, NULL, current_timestamp()).
  const defaultSql = def === null || def === undefined ? '' : ` DEFAULT ${def}`;
  const extra = (change.extra ?? col.extra).replace(/DEFAULT_GENERATED/i, '').trim();
  return `${type} ${nullable ? 'NULL' : 'NOT NULL'}${defaultSql}${extra ? ` ${extra}` : ''}`;
}

/** The catalog of mutations for one MySQL project, from what it has. */
function mysqlCatalog(t: MyTargets): Mutation[] {
  const out: Mutation[] = [];
  const dump = (name: string, ...apply: string[]) => out.push({ name, kind: 'dump', apply });
  const spelling = (name: string, ...apply: string[]) => out.push({ name, kind: 'spelling', apply });
  const leaf = t.tables.find((x) => !x.referenced && !x.hasForeignKeys) ?? t.tables[0];
  const table = t.tables.find((x) => t.columns.filter((c) => c.table === x.name).length >= 3) ?? t.tables[0];
  const cols = (name: string) => t.columns.filter((c) => c.table === name && !c.generated);
  // Tables.
  dump('table added', 'CREATE TABLE mut_new (id int PRIMARY KEY, v varchar(10))');
  dump('sequence added', 'CREATE SEQUENCE mut_seq INCREMENT BY 3');
  dump('view added', 'CREATE VIEW mut_v AS SELECT 1 AS one');
  dump('function added', 'CREATE FUNCTION mut_f(n int) RETURNS int DETERMINISTIC RETURN n + 1');
  dump('procedure added', 'CREATE PROCEDURE mut_p() SELECT 1');
  dump('event added', 'CREATE EVENT mut_ev ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1');
  dump('system-versioned table added', 'CREATE TABLE mut_hist (id int PRIMARY KEY) WITH SYSTEM VERSIONING');
  if (leaf) {
    const l = bq(leaf.name);
    dump('table dropped', `DROP TABLE ${l}`);
    dump('table renamed', `RENAME TABLE ${l} TO mut_renamed`);
    dump('table engine MyISAM', `ALTER TABLE ${l} ENGINE = MyISAM`);
    dump('table default collation changed', `ALTER TABLE ${l} COLLATE utf8mb4_bin`);
    dump('table partitioned', `ALTER TABLE ${l} PARTITION BY KEY () PARTITIONS 2`);
    dump('table AUTO_INCREMENT counter moved (not compared)', `ALTER TABLE ${l} AUTO_INCREMENT = 1000`);
    dump('table comment (not compared)', `ALTER TABLE ${l} COMMENT = 'mutated'`);
    dump('table ROW_FORMAT (not compared)', `ALTER TABLE ${l} ROW_FORMAT = REDUNDANT`);
    dump('table STATS_PERSISTENT (not compared)', `ALTER TABLE ${l} STATS_PERSISTENT = 0`);
    dump('trigger added', `CREATE TRIGGER mut_tr BEFORE INSERT ON ${l} FOR EACH ROW SET @mut = 1`);
    dump('table made system-versioned', `ALTER TABLE ${l} ADD SYSTEM VERSIONING`);
  }
  if (table) {
    const tn = bq(table.name);
    dump('column added', `ALTER TABLE ${tn} ADD COLUMN mut_c int`);
    dump('invisible column added', `ALTER TABLE ${tn} ADD COLUMN mut_c int INVISIBLE`);
    dump('generated column added', `ALTER TABLE ${tn} ADD COLUMN mut_g int AS (1) VIRTUAL`);
    dump('CHECK added', `ALTER TABLE ${tn} ADD CONSTRAINT mut_ck CHECK (1 = 1)`);
    dump('index added', `CREATE INDEX mut_ix ON ${tn} (${bq(cols(table.name)[0]!.name)})`);
    dump(
      'FULLTEXT index added',
      ...(() => {
        const text = cols(table.name).find((c) => /char/.test(c.columnType));
        return text
          ? [`CREATE FULLTEXT INDEX mut_ft ON ${tn} (${bq(text.name)})`]
          : ['SELECT no_text_column'];
      })(),
    );
  }
  // Columns: one of each kind of change on the first column it applies to.
  const all = t.tables.flatMap((x) => cols(x.name));
  const plain =
    all.find((c) => /^varchar/.test(c.columnType) && c.nullable && c.key === '' && c.default === null) ??
    all.find((c) => /^varchar/.test(c.columnType) && c.key === '');
  if (plain) {
    const tn = bq(plain.table);
    const cn = bq(plain.name);
    const len = Number(/\((\d+)\)/.exec(plain.columnType)?.[1] ?? 10);
    dump('column dropped', `ALTER TABLE ${tn} DROP COLUMN ${cn}`);
    dump('column renamed', `ALTER TABLE ${tn} RENAME COLUMN ${cn} TO mut_renamed`);
    dump(
      'column type widened',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain, { type: `varchar(${len + 1})` })}`,
    );
    dump(
      'column nullability flipped',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain, { nullable: !plain.nullable })}`,
    );
    dump('column default added', `ALTER TABLE ${tn} ALTER COLUMN ${cn} SET DEFAULT 'mutated'`);
    dump(
      'column collation changed',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain)} COLLATE utf8mb4_bin`,
    );
    dump(
      'column character set changed',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain, { type: `${plain.columnType} CHARACTER SET latin1` })}`,
    );
    dump(
      'column made INVISIBLE',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain, { nullable: true })} INVISIBLE`,
    );
    dump(
      'column comment (not compared)',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain)} COMMENT 'mutated'`,
    );
    dump(
      'column moved first (not compared)',
      `ALTER TABLE ${tn} MODIFY ${cn} ${myColumnDefinition(plain)} FIRST`,
    );
    dump('column made unique', `ALTER TABLE ${tn} ADD UNIQUE (${cn})`);
  }
  const defaulted = all.find(
    (c) => c.default !== null && c.default !== 'NULL' && !/current_timestamp/i.test(c.default),
  );
  if (defaulted) {
    const tn = bq(defaulted.table);
    dump('column default dropped', `ALTER TABLE ${tn} ALTER COLUMN ${bq(defaulted.name)} DROP DEFAULT`);
    spelling(
      'column default re-set as written differently',
      `ALTER TABLE ${tn} ALTER COLUMN ${bq(defaulted.name)} SET DEFAULT ${defaulted.default!.startsWith("'") ? defaulted.default : `(${defaulted.default})`}`,
    );
  }
  const numeric = all.find((c) => /^int/.test(c.columnType) && c.key === '');
  if (numeric)
    dump(
      'column integer made bigint',
      `ALTER TABLE ${bq(numeric.table)} MODIFY ${bq(numeric.name)} ${myColumnDefinition(numeric, { type: numeric.columnType.replace(/^int(\(\d+\))?/, 'bigint') })}`,
    );
  const onUpdate = all.find((c) => /on update/i.test(c.extra));
  if (onUpdate)
    dump(
      'ON UPDATE CURRENT_TIMESTAMP removed',
      `ALTER TABLE ${bq(onUpdate.table)} MODIFY ${bq(onUpdate.name)} ${myColumnDefinition(onUpdate, { extra: '' })}`,
    );
  const auto = all.find((c) => /auto_increment/i.test(c.extra));
  if (auto)
    dump(
      'AUTO_INCREMENT removed',
      'SET foreign_key_checks = 0',
      `ALTER TABLE ${bq(auto.table)} MODIFY ${bq(auto.name)} ${myColumnDefinition(auto, { extra: '' })}`,
    );
  const generated = t.columns.find((c) => c.generated);
  if (generated) {
    dump(
      'generated column made STORED',
      `ALTER TABLE ${bq(generated.table)} DROP COLUMN ${bq(generated.name)}`,
      `ALTER TABLE ${bq(generated.table)} ADD COLUMN ${bq(generated.name)} int AS (price * qty) STORED`,
    );
    dump(
      'generated column expression changed',
      `ALTER TABLE ${bq(generated.table)} MODIFY ${bq(generated.name)} int AS (price + qty) VIRTUAL`,
    );
  }
  // MariaDB's system versioning: changing a versioned table's columns needs the session's leave.
  const keep = "SET SESSION system_versioning_alter_history = 'KEEP'";
  for (const name of t.versioned.slice(0, 1)) {
    dump('system versioning dropped', `ALTER TABLE ${bq(name)} DROP SYSTEM VERSIONING`);
    const versionedColumn = t.columns.find(
      (c) => c.table === name && c.key === '' && !/SYSTEM VERSIONING|INVISIBLE/i.test(c.extra),
    );
    if (versionedColumn)
      dump(
        'column made WITHOUT SYSTEM VERSIONING',
        keep,
        `ALTER TABLE ${bq(name)} MODIFY ${bq(versionedColumn.name)} ${myColumnDefinition(versionedColumn, { extra: 'WITHOUT SYSTEM VERSIONING' })}`,
      );
    const unversioned = t.columns.find((c) => c.table === name && /WITHOUT SYSTEM VERSIONING/i.test(c.extra));
    if (unversioned)
      dump(
        'column versioned again',
        keep,
        `ALTER TABLE ${bq(name)} MODIFY ${bq(unversioned.name)} ${myColumnDefinition(unversioned, { extra: '' })}`,
      );
  }
  // INVISIBLE columns (left out of SELECT *) and ZEROFILL widths (how clients pad the digits).
  const visible = t.columns.find(
    (c) => !c.generated && c.nullable && c.key === '' && c.extra === '' && !t.versioned.includes(c.table),
  );
  if (visible)
    dump(
      'column made INVISIBLE',
      `ALTER TABLE ${bq(visible.table)} MODIFY ${bq(visible.name)} ${myColumnDefinition(visible, { extra: 'INVISIBLE' })}`,
    );
  const invisible = t.columns.find((c) => /\bINVISIBLE\b/.test(c.extra));
  if (invisible) {
    dump(
      'INVISIBLE column made visible',
      keep,
      `ALTER TABLE ${bq(invisible.table)} MODIFY ${bq(invisible.name)} ${myColumnDefinition(invisible, { extra: invisible.extra.replace(/\bINVISIBLE\b/, '') })}`,
    );
    spelling(
      'INVISIBLE column restated with INVISIBLE before its default',
      keep,
      `ALTER TABLE ${bq(invisible.table)} MODIFY ${bq(invisible.name)} ${invisible.columnType} INVISIBLE${invisible.nullable ? ' NULL' : ' NOT NULL'}${invisible.default === null ? '' : ` DEFAULT ${invisible.default}`}`,
    );
  }
  const zerofill = t.columns.find((c) => /zerofill/.test(c.columnType));
  if (zerofill) {
    const modify = (type: string) =>
      `ALTER TABLE ${bq(zerofill.table)} MODIFY ${bq(zerofill.name)} ${myColumnDefinition(zerofill, { type })}`;
    dump('ZEROFILL display width changed', modify(zerofill.columnType.replace(/\(\d+\)/, '(9)')));
    spelling(
      'ZEROFILL column restated without UNSIGNED',
      modify(zerofill.columnType.replace(' unsigned', '')),
    );
  }
  // MariaDB's application-time periods and the keys over them (WITHOUT OVERLAPS).
  if (t.tables.some((x) => x.name === 'stays')) {
    dump(
      'WITHOUT OVERLAPS key replaced by a plain one over the same columns',
      'ALTER TABLE stays DROP INDEX room, ADD UNIQUE KEY room (room, e, s)',
    );
    dump(
      'application-time period dropped',
      'ALTER TABLE stays DROP INDEX room',
      'ALTER TABLE stays DROP PERIOD FOR stay',
    );
    spelling(
      'period and its key re-created in lowercase',
      'alter table stays drop index room',
      'alter table stays drop period for stay',
      'alter table stays add period for stay(s,e), add unique room(room,stay without overlaps)',
    );
  }
  // Indexes.
  const index = t.indexes.find((i) => !i.unique && !i.servesForeignKey) ?? t.indexes.find((i) => !i.unique);
  if (index) {
    const tn = bq(index.table);
    const keys = index.columns.map(bq).join(', ');
    dump('index dropped', `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}`);
    dump('index renamed', `ALTER TABLE ${tn} RENAME INDEX ${bq(index.name)} TO mut_ix`);
    dump(
      'index made unique',
      `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}, ADD UNIQUE INDEX ${bq(index.name)} (${keys})`,
    );
    dump(
      'index key made DESC',
      `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}, ADD INDEX ${bq(index.name)} (${index.columns.map((c) => `${bq(c)} DESC`).join(', ')})`,
    );
    dump('index IGNORED', `ALTER TABLE ${tn} ALTER INDEX ${bq(index.name)} IGNORED`);
    dump(
      'index KEY_BLOCK_SIZE (not compared)',
      `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}, ADD INDEX ${bq(index.name)} (${keys}) KEY_BLOCK_SIZE = 8`,
    );
    // InnoDB builds a B-tree whatever a non-UNIQUE key's USING says (STATISTICS: BTREE).
    dump(
      'index re-created USING HASH on InnoDB (not compared)',
      `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}, ADD INDEX ${bq(index.name)} (${keys}) USING HASH`,
    );
    dump(
      'index comment (not compared)',
      `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}, ADD INDEX ${bq(index.name)} (${keys}) COMMENT 'mutated'`,
    );
    const text = index.columns.every((c) =>
      /char/.test(t.columns.find((x) => x.table === index.table && x.name === c)?.columnType ?? ''),
    );
    if (text)
      dump(
        'index key prefix length',
        `ALTER TABLE ${tn} DROP INDEX ${bq(index.name)}, ADD INDEX ${bq(index.name)} (${index.columns.map((c) => `${bq(c)}(5)`).join(', ')})`,
      );
    spelling(
      'index re-created in lowercase with other spacing',
      `alter table ${tn} drop index ${bq(index.name)}, add index ${bq(index.name)}(${keys})`,
    );
  }
  const unique = t.indexes.find((i) => i.unique);
  if (unique) dump('UNIQUE dropped', `ALTER TABLE ${bq(unique.table)} DROP INDEX ${bq(unique.name)}`);
  // Foreign keys.
  const fk = t.foreignKeys[0];
  if (fk) {
    const tn = bq(fk.table);
    const add = (name: string, action: string) =>
      `ALTER TABLE ${tn} ADD CONSTRAINT ${bq(name)} FOREIGN KEY (${fk.columns.map(bq).join(', ')}) REFERENCES ${bq(fk.refTable)} (${fk.refColumns.map(bq).join(', ')})${action}`;
    const same =
      fk.onDelete === 'CASCADE'
        ? ' ON DELETE CASCADE'
        : fk.onDelete === 'SET NULL'
          ? ' ON DELETE SET NULL'
          : '';
    dump('foreign key dropped', `ALTER TABLE ${tn} DROP FOREIGN KEY ${bq(fk.name)}`);
    dump(
      'foreign key ON DELETE changed',
      `ALTER TABLE ${tn} DROP FOREIGN KEY ${bq(fk.name)}`,
      add(fk.name, fk.onDelete === 'CASCADE' ? '' : ' ON DELETE CASCADE'),
    );
    dump(
      'foreign key ON UPDATE CASCADE added',
      `ALTER TABLE ${tn} DROP FOREIGN KEY ${bq(fk.name)}`,
      add(fk.name, `${same} ON UPDATE CASCADE`),
    );
    // A key into another database's same-named table: not the table of this one.
    dump(
      'foreign key re-pointed at another database',
      'CREATE DATABASE `$DB_other`',
      `CREATE TABLE \`$DB_other\`.${bq(fk.refTable)} LIKE ${bq(fk.refTable)}`,
      `ALTER TABLE ${tn} DROP FOREIGN KEY ${bq(fk.name)}`,
      `ALTER TABLE ${tn} ADD CONSTRAINT ${bq(fk.name)} FOREIGN KEY (${fk.columns.map(bq).join(', ')}) REFERENCES \`$DB_other\`.${bq(fk.refTable)} (${fk.refColumns.map(bq).join(', ')})${same}`,
    );
    spelling(
      "foreign key re-added naming its table with this database's name",
      `ALTER TABLE ${tn} DROP FOREIGN KEY ${bq(fk.name)}`,
      `ALTER TABLE ${tn} ADD CONSTRAINT ${bq(fk.name)} FOREIGN KEY (${fk.columns.map(bq).join(', ')}) REFERENCES \`$DB\`.${bq(fk.refTable)} (${fk.refColumns.map(bq).join(', ')})${same}`,
    );
    dump(
      'foreign key renamed (not compared)',
      `ALTER TABLE ${tn} DROP FOREIGN KEY ${bq(fk.name)}`,
      add('mut_fk', same),
    );
  }
  // CHECKs (MariaDB's JSON columns carry one).
  for (const check of t.checks.slice(0, 2)) {
    dump(`CHECK ${check.name} dropped`, `ALTER TABLE ${bq(check.table)} DROP CONSTRAINT ${bq(check.name)}`);
    spelling(
      `CHECK ${check.name} re-added in lowercase with other spacing`,
      `ALTER TABLE ${bq(check.table)} DROP CONSTRAINT ${bq(check.name)}`,
      `ALTER TABLE ${bq(check.table)} ADD CONSTRAINT ${bq(check.name)} CHECK(${respell(check.clause)})`,
    );
  }
  // Views.
  for (const v of t.views.slice(0, 1)) {
    const body = v.definition;
    const check = v.checkOption === 'NONE' ? '' : ` WITH ${v.checkOption} CHECK OPTION`;
    dump('view changed', `CREATE OR REPLACE VIEW ${bq(v.name)} AS SELECT 1 AS one`);
    dump('view ALGORITHM=MERGE', `CREATE OR REPLACE ALGORITHM = MERGE VIEW ${bq(v.name)} AS ${body}${check}`);
    // TEMPTABLE makes the view read-only, so it takes no CHECK OPTION.
    dump('view ALGORITHM=TEMPTABLE', `CREATE OR REPLACE ALGORITHM = TEMPTABLE VIEW ${bq(v.name)} AS ${body}`);
    dump('view CHECK OPTION dropped', `CREATE OR REPLACE VIEW ${bq(v.name)} AS ${body}`);
    dump(
      'view SQL SECURITY INVOKER (not compared)',
      `CREATE OR REPLACE SQL SECURITY INVOKER VIEW ${bq(v.name)} AS ${body}${check}`,
    );
    spelling(
      'view re-created in lowercase with other spacing',
      `create or replace view ${bq(v.name)} as ${respell(body)}${check}`,
    );
  }
  // Triggers.
  const [first, second] = t.triggers;
  if (first) {
    dump('trigger dropped', `DROP TRIGGER ${bq(first.name)}`);
    dump(
      'trigger body changed',
      `DROP TRIGGER ${bq(first.name)}`,
      `CREATE TRIGGER ${bq(first.name)} ${first.timing} ${first.event} ON ${bq(first.table)} FOR EACH ROW ${second ? `PRECEDES ${bq(second.name)} ` : ''}SET @mut = 2`,
    );
    dump(
      'trigger made AFTER',
      `DROP TRIGGER ${bq(first.name)}`,
      `CREATE TRIGGER ${bq(first.name)} AFTER ${first.event} ON ${bq(first.table)} FOR EACH ROW SET @mut = 2`,
    );
  }
  if (first)
    dump(
      'trigger re-created under another sql_mode',
      "SET SESSION sql_mode = 'PIPES_AS_CONCAT'",
      `DROP TRIGGER ${bq(first.name)}`,
      `CREATE TRIGGER ${bq(first.name)} ${first.timing} ${first.event} ON ${bq(first.table)} FOR EACH ROW ${second ? `PRECEDES ${bq(second.name)} ` : ''}${first.body}`,
    );
  if (
    first &&
    second &&
    first.table === second.table &&
    first.event === second.event &&
    first.timing === second.timing
  ) {
    dump(
      'two triggers in the other order',
      `DROP TRIGGER ${bq(second.name)}`,
      `CREATE TRIGGER ${bq(second.name)} ${second.timing} ${second.event} ON ${bq(second.table)} FOR EACH ROW PRECEDES ${bq(first.name)} ${second.body}`,
    );
    spelling(
      'the second trigger re-created with FOLLOWS the first',
      `DROP TRIGGER ${bq(second.name)}`,
      `CREATE TRIGGER ${bq(second.name)} ${second.timing} ${second.event} ON ${bq(second.table)} FOR EACH ROW FOLLOWS ${bq(first.name)} ${second.body}`,
    );
  }
  // Routines and sequences.
  const fn = t.functions.find((f) => f.kind === 'FUNCTION');
  if (fn) {
    dump(
      'function made NOT DETERMINISTIC',
      `DROP FUNCTION ${bq(fn.name)}`,
      `CREATE FUNCTION ${bq(fn.name)}(n INT) RETURNS INT NOT DETERMINISTIC RETURN n * 2`,
    );
    dump('function SQL SECURITY INVOKER', `ALTER FUNCTION ${bq(fn.name)} SQL SECURITY INVOKER`);
    dump('function READS SQL DATA', `ALTER FUNCTION ${bq(fn.name)} READS SQL DATA`);
    dump('function comment (not compared)', `ALTER FUNCTION ${bq(fn.name)} COMMENT 'mutated'`);
    dump(
      'function body changed',
      `DROP FUNCTION ${bq(fn.name)}`,
      `CREATE FUNCTION ${bq(fn.name)}(n INT) RETURNS INT DETERMINISTIC RETURN n * 3`,
    );
  }
  const proc = t.functions.find((f) => f.kind === 'PROCEDURE');
  if (proc)
    dump(
      'procedure parameter made INOUT',
      `DROP PROCEDURE ${bq(proc.name)}`,
      `CREATE PROCEDURE ${bq(proc.name)}(INOUT below INT) MODIFIES SQL DATA DELETE FROM items WHERE price < below`,
    );
  const seq = t.sequences[0];
  if (seq) {
    dump('sequence INCREMENT changed', `ALTER SEQUENCE ${bq(seq)} INCREMENT BY 5`);
    dump('sequence made CYCLE', `ALTER SEQUENCE ${bq(seq)} CYCLE`);
  }
  return out;
}

/**
 * Each mutation on a MySQL project: the database is dropped, created and migrated again (a
 * CREATE DATABASE is cheap there), the mutation's statements run one by one, then the dump and
 * the doctor are asked. Last, a dump/restore round trip (the dump piped into the client) must match.
 */
async function mysqlMutations(
  db: TestDatabase,
  dir: string,
  label: string,
  matches: (url: string) => Promise<boolean>,
  record: (m: Mutation, dumpDiffers: boolean, doctorMatches: boolean) => void,
): Promise<void> {
  const tool = MYSQL_DUMP.file!;
  const name = decodeURIComponent(new URL(db.url).pathname.slice(1));
  const base = await timed('dump', () => normalizedMysqlDump(db.url, tool));
  const catalog = mysqlCatalog(await mysqlTargets(db.url));
  catalog.push({ name: 'dump/restore round trip', kind: 'spelling', apply: [] });
  const admin = await mysqlClient(mysqlAdminUrl());
  try {
    let dirty = false;
    for (const m of catalog) {
      if (dirty)
        await timed('reset', async () => {
          // The test database first: a key of it may reference the other one.
          await admin.query(
            `DROP DATABASE ${bq(name)}; DROP DATABASE IF EXISTS ${bq(`${name}_other`)}; CREATE DATABASE ${bq(name)}`,
          );
          await migrate({ database: db.url, dir, backup: { enabled: false } });
        });
      dirty = true;
      if (m.name === 'dump/restore round trip') {
        const script = execFileSync(tool, ['--routines', '--triggers', '--events', ...mysqlArgs(db.url)], {
          maxBuffer: 256 * 1024 * 1024,
        });
        await admin.query(`DROP DATABASE ${bq(name)}; CREATE DATABASE ${bq(name)}`);
        execFileSync(MYSQL_DUMP.file === 'mariadb-dump' ? 'mariadb' : 'mysql', mysqlArgs(db.url), {
          input: script,
          stdio: ['pipe', 'ignore', 'pipe'],
        });
      } else {
        const c = await mysqlClient(db.url);
        try {
          // `$DB` is this database's name (`$DB_other` one beside it, dropped at the next reset).
          for (const statement of m.apply as string[]) await c.query(statement.replaceAll('$DB', name));
        } catch (e) {
          notApplicable.push(`${label}: ${m.name}: ${(e as Error).message}`);
          continue;
        } finally {
          await c.end();
        }
      }
      // A schema the dump tool refuses (a view whose table is gone) is not the one it dumped before.
      const dump = await timed('dump', () =>
        normalizedMysqlDump(db.url, tool).catch((e: Error) => `dump failed: ${e.message}`),
      );
      const doctorMatches = await timed('doctor', () => matches(db.url));
      record(m, dump !== base, doctorMatches);
    }
  } finally {
    await admin.end();
  }
}

/** Connection arguments of the mysql client and dump tools for `url`, then its database. */
function mysqlArgs(url: string): string[] {
  const u = new URL(url);
  return [
    '--host',
    u.hostname,
    '--port',
    u.port || '3306',
    '--user',
    decodeURIComponent(u.username) || 'root',
    decodeURIComponent(u.pathname.slice(1)),
  ];
}

const outcomes: Outcome[] = [];
const timing: Record<string, number> = {};
async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timing[what] = (timing[what] ?? 0) + performance.now() - t;
  }
}
const notApplicable: string[] = [];

function report(): void {
  const falseMatches = outcomes.filter((o) => o.doctorMatches && (o.kind === 'dump' ? o.dumpDiffers : false));
  const falseDrift = outcomes.filter((o) => !o.doctorMatches && (o.kind === 'spelling' || !o.dumpDiffers));
  console.log(
    `# mutation catalog: ${outcomes.length} mutations applied over ${new Set(outcomes.map((o) => o.project)).size} projects (${outcomes.filter((o) => o.kind === 'dump' && o.dumpDiffers).length} change the dump, ${outcomes.filter((o) => o.kind === 'dump' && !o.dumpDiffers).length} change only what is not compared, ${outcomes.filter((o) => o.kind === 'spelling').length} change only spelling; ${notApplicable.length} not applicable to their project); false matches: ${falseMatches.length}; false drift: ${falseDrift.length}`,
  );
  for (const o of falseMatches) console.log(`#   FALSE MATCH ${o.project}: ${o.mutation}`);
  for (const o of falseDrift) console.log(`#   FALSE DRIFT ${o.project}: ${o.mutation}`);
  for (const n of notApplicable) console.log(`#   not applicable: ${n.split('\n')[0]}`);
}

function idsOf(project: Project): string[] {
  return Object.keys(project.files)
    .map((f) => f.slice(0, f.indexOf('_')))
    .sort();
}

describe('doctor against a dump oracle: mutations of every example project and corpus schema', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.drop();
    report();
    console.log(
      `# timing ${JSON.stringify(Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, Math.round(v)])))}`,
    );
    const wrong = outcomes.filter((o) => o.doctorMatches === (o.kind === 'dump' ? o.dumpDiffers : false));
    assert.deepEqual(
      wrong.map((o) => `${o.project}: ${o.mutation} (${o.doctorMatches ? 'false match' : 'false drift'})`),
      [],
    );
  });

  for (const project of projects) {
    const label = `${project.name} on ${project.dialect}`;
    it(`${label}: the doctor matches exactly when the normalized dump does`, async () => {
      const db = await createTestDatabase(project.dialect);
      databases.push(db);
      const dir = writeMigrations(db.dir, project.files);
      const last = idsOf(project).at(-1);
      const cacheDir = path.join(db.dir, 'cache');
      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const matches = async (url: string) =>
        (await doctor({ database: url, dir, schema: project.schema, cacheDir })).matches === last;
      assert.equal(await matches(db.url), true, 'no drift right after apply');
      const record = (m: Mutation, dumpDiffers: boolean, doctorMatches: boolean) =>
        outcomes.push({ project: label, mutation: m.name, kind: m.kind, dumpDiffers, doctorMatches });

      if (project.dialect === 'sqlite') {
        const file = db.url.slice('sqlite:'.length);
        const base = normalizedSqliteSchema(file);
        const conn = new Database(file, { readonly: true });
        const objects = conn
          .prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'dbdoctor\\_%' ESCAPE '\\' ORDER BY name",
          )
          .all() as SqliteObject[];
        const catalog = sqliteCatalog(
          objects,
          (t) => conn.prepare('SELECT * FROM pragma_table_info(?)').all(t) as never,
        );
        conn.close();
        for (const [i, m] of catalog.entries()) {
          const copy = path.join(db.dir, `mut${i}.sqlite`);
          fs.copyFileSync(file, copy);
          const c = new Database(copy);
          try {
            (m.apply as (d: Database.Database) => void)(c);
          } catch (e) {
            notApplicable.push(`${label}: ${m.name}: ${(e as Error).message}`);
            continue;
          } finally {
            c.close();
          }
          record(m, normalizedSqliteSchema(copy) !== base, await matches(`sqlite:${copy}`));
          fs.rmSync(copy);
        }
        return;
      }

      if (project.dialect === 'mysql') {
        await mysqlMutations(db, dir, label, matches, record);
        return;
      }

      const schema = project.schema ?? 'public';
      const base = await normalizedPgDump(db.url, schema);
      const catalog = pgCatalog(await pgTargets(db.url, schema), schema);
      catalog.push({ name: 'pg_dump/restore round trip', kind: 'spelling', apply: [] });
      // Each mutation starts from the migrated schema. CREATE/DROP DATABASE per mutation costs
      // a checkpoint each (seconds on a slow disk), so the schemas are dropped and migrated again.
      const reset = async (c: pg.Client) => {
        await c.query(
          `DROP SCHEMA IF EXISTS ${q(schema)} CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public`,
        );
        await migrate({ database: db.url, dir, backup: { enabled: false } });
      };
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      // Durability is not under test: commits need not wait for the disk (this database only).
      await c.query(`ALTER DATABASE ${q(new URL(db.url).pathname.slice(1))} SET synchronous_commit = off`);
      try {
        let dirty = false;
        for (const m of catalog) {
          if (dirty) await timed('reset', () => reset(c));
          dirty = true;
          if (m.name === 'pg_dump/restore round trip') {
            const script = execFileSync('pg_dump', ['--no-owner', db.url], { maxBuffer: 256 * 1024 * 1024 });
            await c.query(
              `DROP SCHEMA IF EXISTS ${q(schema)} CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public`,
            );
            execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url], {
              input: script,
              stdio: ['pipe', 'ignore', 'pipe'],
            });
          } else {
            try {
              await c.query(`SET search_path = ${q(schema)}`);
              await c.query('BEGIN');
              for (const statement of m.apply as string[]) await c.query(statement);
              await c.query('COMMIT');
            } catch (e) {
              await c.query('ROLLBACK');
              notApplicable.push(`${label}: ${m.name}: ${(e as Error).message}`);
              dirty = false;
              continue;
            } finally {
              await c.query('RESET search_path');
            }
          }
          const [dump, doctorMatches] = await Promise.all([
            timed('dump', () => normalizedPgDump(db.url, schema)),
            timed('doctor', () => matches(db.url)),
          ]);
          record(m, dump !== base, doctorMatches);
        }
      } finally {
        await c.end();
      }
    });
  }
});
