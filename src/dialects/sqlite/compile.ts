/**
 * Compiling operations to SQLite: native statements where ALTER TABLE suffices, otherwise a
 * table rebuild (consecutive operations on one table share one). The rebuild itself runs in
 * rebuild.ts, which reads the live CREATE TABLE text when it runs.
 */
import { clauses, defaultSql, sqlFor } from '../../dialects/clauses.js';
import { DbDoctorError, errorMessage, isDbDoctorError } from '../../errors.js';
import {
  enumCheckExpression,
  enumCheckName,
  enumValuesOf,
  isEnumCheckOf,
  isEnumRef,
} from '../../ops/portable.js';
import type {
  ColumnDefault,
  ColumnSpec,
  ColumnType,
  Operation,
  PortableType,
  TableSpec,
} from '../../ops/types.js';
import { normalizeExpression, normalizeType } from '../../schema/normalize.js';
import type { ColumnModel, Connection, OperationCompiler, RunOperationsOptions } from '../dialect.js';
import { quoteIdent, quoteLiteral, SQLITE_EXPRESSIONS } from './quote.js';
import { readTableParts, rebuildTable, tableNames } from './rebuild.js';
import { splitSqliteStatements } from './split.js';
import {
  type CreateTableParts,
  editColumnItem,
  itemColumn,
  itemConstraintName,
  mentionsIdentifier,
} from './table-sql.js';

const q = quoteIdent;
const { nameList: list, foreignKeyClause, referencesClause } = clauses(quoteIdent);
const quoting = { quoteIdent, quoteLiteral };

const SQLITE_TYPES: Record<PortableType, string> = {
  text: 'TEXT',
  integer: 'INTEGER',
  bigint: 'INTEGER',
  boolean: 'INTEGER',
  real: 'REAL',
  numeric: 'NUMERIC',
  timestamp: 'TEXT',
  date: 'TEXT',
  json: 'TEXT',
  uuid: 'TEXT',
  blob: 'BLOB',
};

/** The type a column is declared with: enums are TEXT with a CHECK. */
function columnTypeSql(type: ColumnType): string {
  return isEnumRef(type) ? 'TEXT' : SQLITE_TYPES[type];
}

const spelling = { name: 'sqlite', quoteLiteral, booleanLiteral: (b: boolean) => (b ? '1' : '0') };

/** How DSL columns look on SQLite: the text of a default is kept as written. */
export const sqliteColumns: ColumnModel = {
  declaredType: columnTypeSql,
  modelType: (type) => (isEnumRef(type) ? 'text' : normalizeType(columnTypeSql(type))),
  modelDefault(value, _type) {
    const sqlText = defaultSql(value, spelling);
    return sqlText === null ? null : normalizeExpression(sqlText, SQLITE_EXPRESSIONS);
  },
  identity: 'autoincrement',
};

/** An operation that changes one table through a rebuild. */
export type RebuildOperation = Extract<
  Operation,
  {
    kind:
      | 'addColumn'
      | 'dropColumn'
      | 'alterColumn'
      | 'addForeignKey'
      | 'dropForeignKey'
      | 'addCheck'
      | 'dropCheck';
  }
>;

/** One step of a SQLite migration. */
export type SqliteStep =
  | { kind: 'sql'; statements: string[] }
  /** Native DROP COLUMN when SQLite allows it, else a rebuild (SQLite decides: indexed, in a view, ...). */
  | { kind: 'dropColumn'; table: string; column: string; op: RebuildOperation }
  | { kind: 'rebuild'; table: string; ops: RebuildOperation[] }
  /** Widens the enum CHECK of every table that has a column of this enum (found when it runs). */
  | { kind: 'addEnumValue'; name: string; value: string };

/** A column definition (enum CHECKs are separate table constraints, see {@link columnCheckItems}). */
export function sqliteColumnSql(name: string, spec: ColumnSpec): string {
  const parts = [q(name), columnTypeSql(spec.type)];
  // PRIMARY KEY columns are NOT NULL on both dialects (SQLite would allow NULL otherwise).
  if (spec.primaryKey) parts.push(`PRIMARY KEY${spec.autoIncrement ? ' AUTOINCREMENT' : ''}`, 'NOT NULL');
  else if (spec.nullable === false) parts.push('NOT NULL');
  const d = sqliteDefault(spec.default, spec.type);
  if (d !== null) parts.push(`DEFAULT ${d}`);
  if (spec.unique) parts.push('UNIQUE');
  if (spec.references) parts.push(referencesClause(spec.references));
  return parts.join(' ');
}

/** The SQL after DEFAULT on SQLite, or null for no default. */
function sqliteDefault(value: ColumnDefault | undefined, _type: ColumnType): string | null {
  const sql = defaultSql(value, spelling);
  return sql === null ? null : wrapDefault(sql);
}

/** SQLite wants expressions after DEFAULT in parentheses; literals and CURRENT_* as they are. */
function wrapDefault(sql: string): string {
  if (
    /^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|\(.*\)|CURRENT_(?:TIMESTAMP|DATE|TIME)|NULL|TRUE|FALSE)$/is.test(sql)
  )
    return sql;
  return `(${sql})`;
}

/** The table constraints a column brings: the CHECK standing for its enum. */
export function columnCheckItems(name: string, spec: { type: ColumnSpec['type'] }): string[] {
  if (!isEnumRef(spec.type)) return [];
  return [
    `CONSTRAINT ${q(enumCheckName(spec.type.enum, name))} CHECK (${enumCheckExpression(name, spec.type.values, quoting)})`,
  ];
}

function createTableSql(table: string, spec: TableSpec): string {
  const columns = Object.entries(spec.columns);
  const items = columns.map(([n, c]) =>
    sqliteColumnSql(n, spec.primaryKey?.includes(n) && !c.primaryKey ? { ...c, nullable: false } : c),
  );
  for (const [n, c] of columns) items.push(...columnCheckItems(n, c));
  if (spec.primaryKey) items.push(`PRIMARY KEY (${list(spec.primaryKey)})`);
  for (const u of spec.unique ?? []) items.push(`UNIQUE (${list(u)})`);
  for (const c of spec.checks ?? []) items.push(`CONSTRAINT ${q(c.name)} CHECK (${c.expression})`);
  for (const f of spec.foreignKeys ?? []) items.push(foreignKeyClause(f));
  return `CREATE TABLE ${q(table)} (\n  ${items.join(',\n  ')}\n)`;
}

/** Whether SQLite's ALTER TABLE ADD COLUMN can add this column as declared. */
function addableInPlace(spec: ColumnSpec): boolean {
  if (spec.primaryKey || spec.unique || isEnumRef(spec.type)) return false;
  const d = spec.default;
  const constantDefault =
    d === undefined || d === null || typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean';
  if (!constantDefault) return false;
  if (spec.nullable === false && (d === undefined || d === null)) return false;
  if (spec.references && d !== undefined && d !== null) return false;
  return true;
}

function nativeStatements(op: Operation): string[] | null {
  switch (op.kind) {
    case 'createTable':
      return [createTableSql(op.table, op.spec)];
    case 'dropTable':
      return [`DROP TABLE ${q(op.table)}`];
    case 'renameTable':
      return [`ALTER TABLE ${q(op.table)} RENAME TO ${q(op.to)}`];
    case 'addColumn':
      return addableInPlace(op.spec)
        ? [`ALTER TABLE ${q(op.table)} ADD COLUMN ${sqliteColumnSql(op.column, op.spec)}`]
        : null;
    case 'renameColumn':
      return [`ALTER TABLE ${q(op.table)} RENAME COLUMN ${q(op.column)} TO ${q(op.to)}`];
    case 'createIndex':
      return [
        `CREATE ${op.spec.unique ? 'UNIQUE ' : ''}INDEX ${q(op.name)} ON ${q(op.table)} (${list(op.columns)})${op.spec.where ? ` WHERE ${op.spec.where}` : ''}`,
      ];
    case 'dropIndex':
      return [`DROP INDEX ${q(op.name)}`];
    case 'createEnum':
    case 'dropEnum':
      return []; // enums are CHECKs on the columns that use them
    case 'sql':
      return splitSqliteStatements(sqlFor(op.up, 'sqlite'));
    // null: what SQLite cannot do in place, so the table is rebuilt (or the enum CHECKs widened).
    case 'dropColumn':
    case 'alterColumn':
    case 'addForeignKey':
    case 'dropForeignKey':
    case 'addCheck':
    case 'dropCheck':
    case 'addEnumValue':
      return null;
    default:
      // An unknown kind must never read as "rebuild": that would record a no-op as applied.
      throw new Error(`internal: no SQLite compilation for operation kind ${(op as { kind: string }).kind}`);
  }
}

/** The steps that run `ops` on SQLite. */
export function sqliteSteps(ops: readonly Operation[]): SqliteStep[] {
  const steps: SqliteStep[] = [];
  for (const op of ops) {
    const native = nativeStatements(op);
    const last = steps[steps.length - 1];
    if (native) {
      if (native.length === 0) continue;
      if (last?.kind === 'sql') last.statements.push(...native);
      else steps.push({ kind: 'sql', statements: native });
      continue;
    }
    if (op.kind === 'addEnumValue') {
      steps.push({ kind: 'addEnumValue', name: op.name, value: op.value });
      continue;
    }
    const rebuildOp = op as RebuildOperation;
    if (op.kind === 'dropColumn' && !(last?.kind === 'rebuild' && last.table === op.table)) {
      steps.push({ kind: 'dropColumn', table: op.table, column: op.column, op: rebuildOp });
      continue;
    }
    if (last?.kind === 'rebuild' && last.table === rebuildOp.table) last.ops.push(rebuildOp);
    else steps.push({ kind: 'rebuild', table: rebuildOp.table, ops: [rebuildOp] });
  }
  return steps;
}

function opError(op: Operation, message: string, hint: string): DbDoctorError {
  return new DbDoctorError('BAD_OPERATION', `${op.kind} on "${'table' in op ? op.table : ''}": ${message}`, {
    unchanged: 'The migration was rolled back; the table is as it was.',
    hint,
  });
}

/** The result of editing a table definition for a rebuild. */
export interface TableEdit {
  parts: CreateTableParts;
  /** Columns whose data is gone (their indexes are dropped with them). */
  droppedColumns: string[];
}

/** Applies rebuild operations to a table's CREATE TABLE parts (pure). */
export function editTable(parts: CreateTableParts, ops: readonly RebuildOperation[]): TableEdit {
  let items = [...parts.items];
  const dropped: string[] = [];
  const columnIndex = (op: RebuildOperation, column: string) => {
    const i = items.findIndex((it) => itemColumn(it)?.toLowerCase() === column.toLowerCase());
    if (i < 0)
      throw opError(
        op,
        `column "${column}" does not exist.`,
        'Check the column name against `dbdoctor schema`.',
      );
    return i;
  };
  const constraintIndex = (op: RebuildOperation, name: string) => {
    const i = items.findIndex((it) => itemConstraintName(it)?.toLowerCase() === name.toLowerCase());
    if (i < 0)
      throw opError(
        op,
        `no table constraint named "${name}".`,
        'Constraints declared without a name (or inside a column definition) cannot be dropped by name; use sql() with a hand-written rebuild.',
      );
    return i;
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'addColumn':
        if (items.some((it) => itemColumn(it)?.toLowerCase() === op.column.toLowerCase()))
          throw opError(op, `column "${op.column}" already exists.`, 'Pick another name.');
        items.splice(firstConstraint(items), 0, sqliteColumnSql(op.column, op.spec));
        items.push(...columnCheckItems(op.column, op.spec));
        break;
      case 'dropColumn': {
        const i = columnIndex(op, op.column);
        items.splice(i, 1);
        items = items.filter((it) => !isEnumCheckOf(itemConstraintName(it), op.column));
        const user = items.find((it) => itemColumn(it) === null && mentionsIdentifier(it, op.column));
        if (user)
          throw opError(
            op,
            `column "${op.column}" is used by the table constraint ${user}.`,
            'Drop that constraint first (dropCheck, dropForeignKey), in the same migration.',
          );
        dropped.push(op.column);
        break;
      }
      case 'alterColumn': {
        const i = columnIndex(op, op.column);
        const { type, nullable } = op.change;
        items[i] = editColumnItem(items[i] as string, {
          typeSql: type === undefined ? undefined : columnTypeSql(type),
          nullable,
          defaultSql:
            op.change.default === undefined ? undefined : sqliteDefault(op.change.default, type ?? 'text'),
        });
        if (type !== undefined) {
          items = items.filter((it) => !isEnumCheckOf(itemConstraintName(it), op.column));
          items.push(...columnCheckItems(op.column, { type }));
        }
        break;
      }
      case 'addForeignKey':
        items.push(foreignKeyClause(op.spec));
        break;
      case 'dropForeignKey':
      case 'dropCheck':
        items.splice(constraintIndex(op, op.name), 1);
        break;
      case 'addCheck':
        items.push(`CONSTRAINT ${q(op.spec.name)} CHECK (${op.spec.expression})`);
        break;
    }
  }
  return { parts: { items, options: parts.options }, droppedColumns: dropped };
}

/** Where table constraints begin (new columns go before them). */
function firstConstraint(items: string[]): number {
  const i = items.findIndex((it) => itemColumn(it) === null);
  return i < 0 ? items.length : i;
}

/** A table's parts with every CHECK of enum `name` widened by `value`; null when none uses it. */
export function widenEnumChecks(
  parts: CreateTableParts,
  name: string,
  value: string,
): CreateTableParts | null {
  const prefix = enumCheckName(name, '');
  let changed = false;
  const items = parts.items.map((it) => {
    const constraint = itemConstraintName(it);
    if (!constraint?.startsWith(prefix)) return it;
    changed = true;
    const column = constraint.slice(prefix.length);
    const values = enumValuesOf(it.replace(/\)\s*$/, ''));
    if (values.includes(value)) return it;
    return `CONSTRAINT ${q(constraint)} CHECK (${enumCheckExpression(column, [...values, value], quoting)})`;
  });
  return changed ? { items, options: parts.options } : null;
}

/** The refusal of a dropColumn whose column a trigger or view still uses. */
function columnInUse(
  step: { table: string; column: string },
  refusal: string,
  broken: DbDoctorError,
): DbDoctorError {
  const dependent = broken.details.dependent as { type: string; name: string };
  return new DbDoctorError(
    'COLUMN_IN_USE',
    `Cannot drop column "${step.column}" of "${step.table}": ${dependent.type} "${dependent.name}" uses it. SQLite refuses ALTER TABLE DROP COLUMN ("${refusal}"), and a rebuild would leave the ${dependent.type} broken ("${broken.details.sqliteError}").`,
    {
      unchanged: 'The migration was rolled back; the table, its triggers and views are as they were.',
      hint: `Drop or rewrite ${dependent.type} "${dependent.name}" without "${step.column}" first, in the same migration (sql() before dropColumn).`,
      details: { ...broken.details, sqliteRefusal: refusal },
    },
  );
}

async function runSqliteStep(
  conn: Connection,
  step: SqliteStep,
  exec: (sql: string) => Promise<void>,
  ran: string[],
  options: RunOperationsOptions,
): Promise<void> {
  const rebuild = async (table: string, edit: ReturnType<typeof editTable>) => {
    options.onStatement?.(`-- rebuild of "${table}"`);
    const r = await rebuildTable(conn, table, edit.parts, {
      droppedColumns: edit.droppedColumns,
      copyBatchRows: options.copyBatchRows,
      onProgress: options.onProgress,
      onStatement: options.onStatement,
    });
    ran.push(...r.statements);
  };
  switch (step.kind) {
    case 'sql':
      for (const s of step.statements) await exec(s);
      return;
    case 'rebuild':
      await rebuild(step.table, editTable(await readTableParts(conn, step.table), step.ops));
      return;
    case 'dropColumn': {
      // Native DROP COLUMN (SQLite 3.35+) when SQLite allows it; it refuses an indexed, key,
      // CHECKed or referenced column, and then the rebuild does it. It also refuses a column
      // a trigger or view uses; the rebuild's check of recreated triggers and views catches
      // that, and the refusal carries SQLite's first reason too.
      const native = `ALTER TABLE ${quoteIdent(step.table)} DROP COLUMN ${quoteIdent(step.column)}`;
      await conn.exec('SAVEPOINT dbdoctor_drop_column');
      let refusal: string;
      try {
        options.onStatement?.(native);
        await conn.exec(native);
        await conn.exec('RELEASE dbdoctor_drop_column');
        ran.push(native);
        return;
      } catch (e) {
        refusal = errorMessage(e);
        await conn.exec('ROLLBACK TO dbdoctor_drop_column');
        await conn.exec('RELEASE dbdoctor_drop_column');
      }
      try {
        await rebuild(step.table, editTable(await readTableParts(conn, step.table), [step.op]));
      } catch (e) {
        throw isDbDoctorError(e) && e.code === 'REBUILD_BREAKS_DEPENDENT' ? columnInUse(step, refusal, e) : e;
      }
      return;
    }
    case 'addEnumValue':
      for (const table of await tableNames(conn)) {
        const widened = widenEnumChecks(await readTableParts(conn, table), step.name, step.value);
        if (widened) await rebuild(table, { parts: widened, droppedColumns: [] });
      }
      return;
  }
}

/** Runs `ops` on SQLite: each step natively, by a rebuild, or by widening enum CHECKs. */
export async function runSqliteOperations(
  conn: Connection,
  ops: readonly Operation[],
  options: RunOperationsOptions = {},
): Promise<string[]> {
  const ran: string[] = [];
  const exec = async (sql: string) => {
    options.onStatement?.(sql);
    ran.push(sql);
    await (options.exec ? options.exec(sql) : conn.exec(sql));
  };
  for (const step of sqliteSteps(ops)) await runSqliteStep(conn, step, exec, ran, options);
  return ran;
}

/** A schema-only in-memory copy of `source` (or an empty one) to preview rebuilds against. */
async function previewDatabase(source: Connection | null): Promise<Connection> {
  const { sqliteDialect } = await import('./index.js');
  const scratch = await sqliteDialect.open(sqliteDialect.parseUrl('sqlite::memory:', process.cwd()), {});
  // As during apply, where enforcement is switched off around a rebuild.
  await scratch.exec('PRAGMA foreign_keys = OFF');
  if (source) {
    const rows = await source.query<{ sql: string }>(
      "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    );
    for (const r of rows) await scratch.exec(r.sql).catch(() => {});
  }
  return scratch;
}

/** The operation DSL on SQLite. */
export const sqliteCompiler: OperationCompiler = {
  columns: sqliteColumns,
  // Every SQLite operation runs inside the migration's transaction.
  needsNoTransaction: () => false,
  run: runSqliteOperations,
  previewDatabase,
  rebuiltTables: (ops) =>
    sqliteSteps(ops).flatMap((step) =>
      step.kind === 'rebuild' || step.kind === 'dropColumn' ? [step.table] : [],
    ),
  // A rebuild's statements (copy batches, recreated indexes) depend on the live table.
  statementCount: (ops) => {
    const steps = sqliteSteps(ops);
    return steps.every((s) => s.kind === 'sql')
      ? steps.reduce((n, s) => n + (s.kind === 'sql' ? s.statements.length : 0), 0)
      : null;
  },
};
