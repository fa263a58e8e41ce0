/**
 * Compiling operations to MySQL/MariaDB. Every operation is native DDL, but each statement
 * commits on its own (no transactional DDL), so everything that can be refused is refused
 * before the first statement runs; and `ALTER TABLE … MODIFY` restates a column's whole
 * definition, so it is built from the live column (what the DSL does not model, such as a
 * comment, a collation or ON UPDATE, is kept).
 */
import { clauses, defaultSql as spelledDefault, sqlFor } from '../../dialects/clauses.js';
import { DbDoctorError } from '../../errors.js';
import { inlineEnumValueError } from '../../ops/fold.js';
import { isEnumRef } from '../../ops/portable.js';
import type {
  ColumnChange,
  ColumnDefault,
  ColumnSpec,
  ColumnType,
  Operation,
  PortableType,
  TableSpec,
} from '../../ops/types.js';
import { normalizeExpression } from '../../schema/normalize.js';
import type { ColumnModel, Connection, OperationCompiler, Row, RunOperationsOptions } from '../dialect.js';
import { MysqlConnection } from './driver.js';
import { mysqlColumnType } from './introspect.js';
import { MYSQL_EXPRESSIONS, quoteIdent, quoteLiteral } from './quote.js';
import { createMysqlScratch } from './scratch.js';
import { splitMysqlStatements } from './split.js';

const q = quoteIdent;
const { nameList: list, foreignKeyClause, referentialActions } = clauses(quoteIdent);

/**
 * Portable types on MySQL. `text` is VARCHAR(255) so that it can be indexed, unique or part of
 * a key like on the other dialects (TEXT columns cannot without a prefix length); longer text
 * is a `sql(...)` column. `numeric` keeps 30 decimals (DECIMAL alone means DECIMAL(10,0)).
 * `timestamp` is DATETIME(6): TIMESTAMP ends in 2038 and converts through the session's zone.
 */
const MYSQL_TYPES: Record<PortableType, string> = {
  text: 'varchar(255)',
  integer: 'int',
  bigint: 'bigint',
  boolean: 'tinyint(1)',
  real: 'double',
  numeric: 'decimal(65,30)',
  timestamp: 'datetime(6)',
  date: 'date',
  json: 'json',
  uuid: 'char(36)',
  blob: 'longblob',
};

/** Decimals of `numeric` (MYSQL_TYPES), as MySQL pads a default to. */
const NUMERIC_SCALE = 30;

/** The type a column is declared with: an enum is its inline list of values. */
function columnTypeSql(type: ColumnType): string {
  return isEnumRef(type) ? `enum(${type.values.map(quoteLiteral).join(',')})` : MYSQL_TYPES[type];
}

const spelling = { name: 'mysql', quoteLiteral, booleanLiteral: (b: boolean) => (b ? '1' : '0') };

/** The SQL after DEFAULT, or null. The current time has the precision of DATETIME(6). */
function defaultSql(value: ColumnDefault | undefined): string | null {
  if (typeof value === 'object' && value !== null && 'now' in value) return 'CURRENT_TIMESTAMP(6)';
  return spelledDefault(value, spelling);
}

/** A number as MySQL reports the default of a column of `type` (DECIMAL pads its scale). */
function reportedNumber(value: number, type: ColumnType): string {
  const text = String(value);
  if (type !== 'numeric' || /e/i.test(text)) return text;
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.padEnd(NUMERIC_SCALE, '0')}`;
}

/** How DSL columns look on MySQL: types and defaults as information_schema reports them. */
export const mysqlColumns: ColumnModel = {
  declaredType: columnTypeSql,
  modelType: (type) => mysqlColumnType(columnTypeSql(type)),
  modelDefault(value, type) {
    if (typeof value === 'number') return normalizeExpression(reportedNumber(value, type), MYSQL_EXPRESSIONS);
    const sqlText = defaultSql(value);
    return sqlText === null ? null : normalizeExpression(sqlText, MYSQL_EXPRESSIONS);
  },
  identity: 'auto_increment',
};

/** A column definition (no key or reference clauses: those are table items on MySQL). */
function columnSql(name: string, spec: ColumnSpec, inTablePk: boolean): string {
  const parts = [q(name), columnTypeSql(spec.type)];
  const notNull = spec.nullable === false || spec.primaryKey || inTablePk;
  parts.push(notNull ? 'NOT NULL' : 'NULL');
  const d = defaultSql(spec.default);
  if (d !== null) parts.push(`DEFAULT ${d}`);
  if (spec.autoIncrement) parts.push('AUTO_INCREMENT');
  return parts.join(' ');
}

/**
 * A column's key and reference clauses as table items. MySQL 8 parses a column-level
 * REFERENCES and ignores it, so a reference is always a table-level FOREIGN KEY.
 */
function columnItems(name: string, spec: ColumnSpec): string[] {
  const items: string[] = [];
  if (spec.primaryKey) items.push(`PRIMARY KEY (${q(name)})`);
  if (spec.unique) items.push(`UNIQUE (${q(name)})`);
  if (spec.references)
    items.push(
      `FOREIGN KEY (${q(name)}) REFERENCES ${q(spec.references.table)} (${q(spec.references.column)})${referentialActions(spec.references)}`,
    );
  return items;
}

function createTableSql(table: string, spec: TableSpec): string {
  const pk = new Set(spec.primaryKey ?? []);
  const items = Object.entries(spec.columns).map(([n, c]) => `  ${columnSql(n, c, pk.has(n))}`);
  for (const [n, c] of Object.entries(spec.columns)) items.push(...columnItems(n, c).map((i) => `  ${i}`));
  if (spec.primaryKey) items.push(`  PRIMARY KEY (${list(spec.primaryKey)})`);
  for (const u of spec.unique ?? []) items.push(`  UNIQUE (${list(u)})`);
  for (const c of spec.checks ?? []) items.push(`  CONSTRAINT ${q(c.name)} CHECK (${c.expression})`);
  for (const f of spec.foreignKeys ?? []) items.push(`  ${foreignKeyClause(f)}`);
  return `CREATE TABLE ${q(table)} (\n${items.join(',\n')}\n)`;
}

function badOperation(op: Operation, message: string, hint: string): DbDoctorError {
  return new DbDoctorError('BAD_OPERATION', `${op.kind}: ${message}`, {
    unchanged: 'Nothing was run: the operations were refused before their first statement.',
    hint,
  });
}

/**
 * Why MySQL cannot run `op` as written, or null. Checked for every operation before any runs,
 * since a statement that has run stays done.
 */
function refusal(op: Operation): DbDoctorError | null {
  if (op.kind === 'createIndex' && op.spec.where !== undefined)
    return badOperation(
      op,
      `index "${op.name}" is partial (where: ${op.spec.where}); MySQL and MariaDB have no partial indexes.`,
      'Index the whole column, or index a generated column that is NULL where the predicate is false.',
    );
  if (op.kind === 'addEnumValue') return inlineEnumValueError(op);
  return null;
}

/** The first operation of `ops` MySQL cannot run, with why (see {@link OperationCompiler.refuse}). */
function refuse(ops: readonly Operation[]): { index: number; error: DbDoctorError } | null {
  for (const [index, op] of ops.entries()) {
    const error = refusal(op);
    if (error) return { index, error };
  }
  return null;
}

/** A column as information_schema.COLUMNS describes it, for restating it in MODIFY. */
interface LiveColumn extends Row {
  column_type: string;
  is_nullable: string;
  column_default: string | null;
  extra: string | null;
  collation_name: string | null;
  column_comment: string | null;
  generation_expression: string | null;
}

async function liveColumn(conn: Connection, op: Operation & { table: string; column: string }) {
  const rows = await conn.query<LiveColumn & { mariadb: number | string }>(
    `SELECT COLUMN_TYPE AS column_type, IS_NULLABLE AS is_nullable, COLUMN_DEFAULT AS column_default,
            EXTRA AS extra, COLLATION_NAME AS collation_name, COLUMN_COMMENT AS column_comment,
            GENERATION_EXPRESSION AS generation_expression, VERSION() LIKE '%MariaDB%' AS mariadb
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
    [op.table, op.column],
  );
  const row = rows[0];
  if (!row)
    throw badOperation(
      op,
      `column "${op.table}"."${op.column}" does not exist.`,
      'Fix the operation so it names a column that exists at that point of the migrations.',
    );
  return { ...row, mariadb: Number(row.mariadb) === 1 };
}

/**
 * The DEFAULT clause restating a live column's default. MariaDB reports a default as SQL (a
 * literal quoted, NULL as the word); MySQL 8 reports a literal unquoted and marks an
 * expression with DEFAULT_GENERATED.
 */
function liveDefault(c: LiveColumn & { mariadb: boolean }): string | null {
  const raw = c.column_default;
  if (raw === null || (c.mariadb && raw === 'NULL')) return null;
  const timestamp = /^current_timestamp(\(\d*\))?$/i.test(raw);
  if (c.mariadb) return timestamp || /^(-?[0-9.]+|'.*')$/s.test(raw) ? raw : `(${raw})`;
  if (/DEFAULT_GENERATED/i.test(c.extra ?? '')) return timestamp ? raw : `(${raw})`;
  return quoteLiteral(raw);
}

/**
 * `ALTER TABLE … MODIFY` with the column's whole definition: the live one with `change`
 * applied. AUTO_INCREMENT, ON UPDATE, INVISIBLE, the collation (while the type stays) and
 * the comment are kept.
 */
async function modifySql(conn: Connection, op: Extract<Operation, { kind: 'alterColumn' }>): Promise<string> {
  const live = await liveColumn(conn, op);
  if (live.generation_expression)
    throw badOperation(
      op,
      `"${op.table}"."${op.column}" is a generated column.`,
      'Change it with a sql(...) operation.',
    );
  const change: ColumnChange = op.change;
  const extra = live.extra ?? '';
  const parts = [q(op.column), change.type === undefined ? live.column_type : columnTypeSql(change.type)];
  if (change.type === undefined && live.collation_name) parts.push(`COLLATE ${live.collation_name}`);
  const nullable = change.nullable ?? live.is_nullable === 'YES';
  parts.push(nullable ? 'NULL' : 'NOT NULL');
  const d = change.default !== undefined ? defaultSql(change.default) : liveDefault(live);
  if (d !== null) parts.push(`DEFAULT ${d}`);
  if (/auto_increment/i.test(extra)) parts.push('AUTO_INCREMENT');
  const onUpdate = /on update (current_timestamp(\(\d*\))?)/i.exec(extra);
  if (onUpdate) parts.push(`ON UPDATE ${onUpdate[1]}`);
  if (/\binvisible\b/i.test(extra)) parts.push('INVISIBLE');
  if (live.column_comment) parts.push(`COMMENT ${quoteLiteral(live.column_comment)}`);
  return `ALTER TABLE ${q(op.table)} MODIFY ${parts.join(' ')}`;
}

/** The table an index is on: from its recorded definition, else the live catalog. */
async function indexTable(conn: Connection, op: Extract<Operation, { kind: 'dropIndex' }>): Promise<string> {
  if (op.definition) return op.definition.table;
  const rows = await conn.query<{ t: string }>(
    `SELECT DISTINCT TABLE_NAME AS t FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = ?`,
    [op.name],
  );
  if (rows.length === 1) return rows[0].t;
  throw badOperation(
    op,
    rows.length === 0
      ? `index "${op.name}" does not exist.`
      : `index "${op.name}" exists on several tables (${rows.map((r) => r.t).join(', ')}); MySQL names indexes per table.`,
    'Give dropIndex the index definition (its table), or fix the name.',
  );
}

/** Columns of each index (or foreign key) of `table`, in key order, by name. */
async function keyColumns(conn: Connection, sql: string, table: string): Promise<Map<string, string[]>> {
  const rows = await conn.query<{ name: string; column_name: string }>(sql, [table]);
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.name, [...(out.get(r.name) ?? []), r.column_name]);
  return out;
}

/**
 * `ADD INDEX` clauses for the foreign keys of `table` that only the index `dropping` serves.
 * InnoDB drops the index it made for a key once another index can serve it, and then refuses
 * to drop that one; an index named after the key (as InnoDB names its own) takes its place.
 */
async function foreignKeyIndexes(conn: Connection, table: string, dropping: string): Promise<string[]> {
  const indexes = await keyColumns(
    conn,
    `SELECT INDEX_NAME AS name, COLUMN_NAME AS column_name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    table,
  );
  const keys = await keyColumns(
    conn,
    `SELECT CONSTRAINT_NAME AS name, COLUMN_NAME AS column_name FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION`,
    table,
  );
  const serves = (index: string[], key: string[]) => key.every((c, i) => index[i] === c);
  const dropped = indexes.get(dropping) ?? [];
  const out: string[] = [];
  for (const [name, columns] of keys) {
    if (!serves(dropped, columns)) continue;
    const other = [...indexes].some(([n, c]) => n !== dropping && serves(c, columns));
    if (!other) out.push(`ADD INDEX ${q(name)} (${list(columns)})`);
  }
  return out;
}

/**
 * After DROP FOREIGN KEY: the index MySQL created for the key by itself (named after the
 * constraint, or after its first column when it had no name), when it indexes exactly the
 * key's columns and no other foreign key of the table needs it. Dropping it returns the table
 * to what it was before the key was added.
 */
async function impliedIndexSql(
  conn: Connection,
  op: Extract<Operation, { kind: 'dropForeignKey' }>,
): Promise<string | null> {
  const rows = await conn.query<{ name: string; column_name: string; non_unique: number | string }>(
    `SELECT INDEX_NAME AS name, COLUMN_NAME AS column_name, NON_UNIQUE AS non_unique
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?
      ORDER BY SEQ_IN_INDEX`,
    [op.table, op.name],
  );
  if (rows.length === 0 || rows.some((r) => Number(r.non_unique) === 0)) return null;
  const columns = rows.map((r) => r.column_name);
  if (op.definition && columns.join('\0') !== op.definition.columns.join('\0')) return null;
  const users = await conn.query<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL
        AND ORDINAL_POSITION = 1 AND COLUMN_NAME = ?`,
    [op.table, columns[0]],
  );
  if (Number(users[0]?.n) > 0) return null;
  return `ALTER TABLE ${q(op.table)} DROP INDEX ${q(op.name)}`;
}

/** The statements of one operation, compiled against the live database just before it runs. */
async function mysqlStatements(conn: Connection, op: Operation): Promise<string[]> {
  switch (op.kind) {
    case 'createTable':
      return [createTableSql(op.table, op.spec)];
    case 'dropTable':
      return [`DROP TABLE ${q(op.table)}`];
    case 'renameTable':
      return [`RENAME TABLE ${q(op.table)} TO ${q(op.to)}`];
    case 'addColumn': {
      const adds = [
        `ADD COLUMN ${columnSql(op.column, op.spec, false)}`,
        ...columnItems(op.column, op.spec).map((i) => `ADD ${i}`),
      ];
      return [`ALTER TABLE ${q(op.table)} ${adds.join(', ')}`];
    }
    case 'dropColumn': {
      // The column's own foreign keys go with it, as on the other dialects (InnoDB otherwise
      // refuses: the key needs the column's index).
      const keys = await conn.query<{ name: string }>(
        `SELECT DISTINCT CONSTRAINT_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?
            AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY CONSTRAINT_NAME`,
        [op.table, op.column],
      );
      const drops = [...keys.map((k) => `DROP FOREIGN KEY ${q(k.name)}`), `DROP COLUMN ${q(op.column)}`];
      return [`ALTER TABLE ${q(op.table)} ${drops.join(', ')}`];
    }
    case 'alterColumn':
      return [await modifySql(conn, op)];
    case 'renameColumn':
      return [`ALTER TABLE ${q(op.table)} RENAME COLUMN ${q(op.column)} TO ${q(op.to)}`];
    case 'createIndex':
      // InnoDB builds an index online by itself; `concurrently` insists on it: the statement
      // fails instead of blocking writes when it cannot.
      return [
        `CREATE ${op.spec.unique ? 'UNIQUE ' : ''}INDEX ${q(op.name)} ON ${q(op.table)} (${list(op.columns)})${op.spec.concurrently ? ' ALGORITHM=INPLACE LOCK=NONE' : ''}`,
      ];
    case 'dropIndex': {
      const table = await indexTable(conn, op);
      const keep = await foreignKeyIndexes(conn, table, op.name);
      return [`ALTER TABLE ${q(table)} ${[...keep, `DROP INDEX ${q(op.name)}`].join(', ')}`];
    }
    case 'addForeignKey':
      return [`ALTER TABLE ${q(op.table)} ADD ${foreignKeyClause(op.spec)}`];
    case 'dropForeignKey':
      return [`ALTER TABLE ${q(op.table)} DROP FOREIGN KEY ${q(op.name)}`];
    case 'addCheck':
      return [`ALTER TABLE ${q(op.table)} ADD CONSTRAINT ${q(op.spec.name)} CHECK (${op.spec.expression})`];
    case 'dropCheck':
      return [`ALTER TABLE ${q(op.table)} DROP CONSTRAINT ${q(op.name)}`];
    // An inline enum exists only in the columns that use it: nothing to create or drop.
    case 'createEnum':
    case 'dropEnum':
      return [];
    case 'addEnumValue':
      throw inlineEnumValueError(op);
    case 'sql':
      return splitMysqlStatements(sqlFor(op.up, 'mysql'));
  }
}

/**
 * How many statements {@link runMysqlOperations} runs: one per operation, but a `sql` one's
 * own count and none for an inline enum; unknown where a dropped foreign key may take along
 * the index MySQL made for it (only the catalog knows).
 */
function mysqlStatementCount(ops: readonly Operation[]): number | null {
  let n = 0;
  for (const op of ops) {
    if (op.kind === 'dropForeignKey' || op.kind === 'addEnumValue') return null;
    if (op.kind === 'sql') {
      // A `sql` without MySQL text fails when it runs, with the error that says so.
      try {
        n += splitMysqlStatements(sqlFor(op.up, 'mysql')).length;
      } catch {
        return null;
      }
    } else if (op.kind !== 'createEnum' && op.kind !== 'dropEnum') n++;
  }
  return n;
}

/**
 * Runs `ops` on MySQL, statement by statement, each committing on its own. Every operation is
 * checked first, so a refusal leaves the database as it was.
 */
async function runMysqlOperations(
  conn: Connection,
  ops: readonly Operation[],
  options: RunOperationsOptions = {},
): Promise<string[]> {
  const refused = refuse(ops);
  if (refused) throw refused.error;
  const ran: string[] = [];
  const exec = async (sql: string) => {
    options.onStatement?.(sql);
    ran.push(sql);
    await (options.exec ? options.exec(sql) : conn.exec(sql));
  };
  for (const op of ops) {
    for (const sql of await mysqlStatements(conn, op)) await exec(sql);
    if (op.kind === 'dropForeignKey') {
      const implied = await impliedIndexSql(conn, op);
      if (implied) await exec(implied);
    }
  }
  return ran;
}

/**
 * A scratch database on `source`'s server holding a copy of its tables (SHOW CREATE TABLE,
 * foreign key checks off so the order does not matter), for `dbdoctor sql` to run operations
 * against as `apply` would; closing it drops it.
 */
async function previewDatabase(source: Connection | null): Promise<Connection> {
  if (!(source instanceof MysqlConnection))
    throw new DbDoctorError(
      'BAD_USAGE',
      'Showing the SQL of operation (DSL) migrations for MySQL needs the database: MySQL restates a column from its live definition when it alters it.',
      {
        unchanged: 'Nothing was read or written.',
        hint: 'Pass --url (or DATABASE_URL) pointing at the MySQL database.',
      },
    );
  const scratch = await createMysqlScratch(source, source.dialect, { isolated: true });
  const conn = new MysqlConnection(
    (scratch.conn as MysqlConnection).client,
    source.dialect,
    scratch.conn.display,
    () => scratch.dispose(),
  );
  try {
    await conn.exec('SET SESSION foreign_key_checks = 0');
    const tables = await source.query<{ name: string }>(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    );
    for (const t of tables) {
      const [row] = await source.query<Record<string, string>>(`SHOW CREATE TABLE ${q(t.name)}`);
      const ddl = row?.['Create Table'];
      if (ddl) await conn.exec(ddl);
    }
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
  return conn;
}

/**
 * Tables `ops` copy row by row while writes wait (ALGORITHM=COPY): InnoDB adds a foreign key
 * (with foreign_key_checks on, as dbdoctor runs) and MySQL 8 adds a CHECK that way. Changing a
 * column's type copies it too; the type-change lint names that already.
 */
function copiedTables(ops: readonly Operation[]): string[] {
  const tables = new Set<string>();
  for (const op of ops) {
    if (op.kind === 'addForeignKey' || op.kind === 'addCheck') tables.add(op.table);
    if (op.kind === 'addColumn' && op.spec.references) tables.add(op.table);
  }
  return [...tables];
}

/** The operation DSL on MySQL/MariaDB. */
export const mysqlCompiler: OperationCompiler = {
  columns: mysqlColumns,
  // No migration runs in a transaction here (transactionalDdl is false): nothing to ask for.
  needsNoTransaction: () => false,
  run: runMysqlOperations,
  refuse,
  previewDatabase,
  rebuiltTables: copiedTables,
  statementCount: mysqlStatementCount,
};
