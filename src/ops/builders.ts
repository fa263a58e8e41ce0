/**
 * The operation DSL: one function per schema change. A migration lists them once and runs
 * on every dialect alike; `down` is derived when every operation can be reversed.
 *
 * @example
 * export default defineMigration({
 *   ops: [
 *     createEnum('session_status', ['active', 'completed', 'abandoned']),
 *     addColumn('student_responses', 'status', { type: enumType('session_status', ['active', 'completed', 'abandoned']), nullable: false, default: 'active' }),
 *     createIndex('student_responses', ['status']),
 *   ],
 * });
 */
import type { ReferentialAction } from '../schema/model.js';
import type {
  CheckSpec,
  ColumnChange,
  ColumnDefault,
  ColumnSpec,
  EnumRef,
  ForeignKeySpec,
  IndexSpec,
  Operation,
  SqlText,
  TableSpec,
} from './types.js';

type Op<K extends Operation['kind']> = Extract<Operation, { kind: K }>;

/** Default index name: `<table>_<columns>_idx` (`_key` for unique ones). */
export function defaultIndexName(table: string, columns: readonly string[], unique = false): string {
  return `${table}_${columns.join('_')}_${unique ? 'key' : 'idx'}`;
}

/** Default foreign key name: `<table>_<columns>_fkey`. */
export function defaultForeignKeyName(table: string, columns: readonly string[]): string {
  return `${table}_${columns.join('_')}_fkey`;
}

/** The current time as a column default (CURRENT_TIMESTAMP on both dialects). */
export function now(): ColumnDefault {
  return { now: true };
}

/** A default written in SQL, the same or per dialect. */
export function sqlDefault(sql: SqlText): ColumnDefault {
  return { sql };
}

/** A reference to an enum as a column type (values are needed for SQLite's CHECK). */
export function enumType<const V extends readonly string[]>(name: string, values: V): EnumRef {
  return { enum: name, values };
}

/** CREATE TABLE. */
export function createTable(table: string, spec: TableSpec): Op<'createTable'> {
  return { kind: 'createTable', table, spec };
}

/**
 * DROP TABLE. Pass the table's definition to make it reversible (down recreates it, empty);
 * without one, the migration needs a hand-written down.
 */
export function dropTable(table: string, definition?: TableSpec): Op<'dropTable'> {
  return definition ? { kind: 'dropTable', table, definition } : { kind: 'dropTable', table };
}

/** ALTER TABLE ... RENAME TO. */
export function renameTable(table: string, to: string): Op<'renameTable'> {
  return { kind: 'renameTable', table, to };
}

/** ADD COLUMN (a SQLite rebuild when ALTER TABLE cannot add it as declared). */
export function addColumn(table: string, column: string, spec: ColumnSpec): Op<'addColumn'> {
  return { kind: 'addColumn', table, column, spec };
}

/** DROP COLUMN. Irreversible (its data is gone): the migration needs a hand-written down. */
export function dropColumn(table: string, column: string): Op<'dropColumn'> {
  return { kind: 'dropColumn', table, column };
}

/**
 * Changes a column's type, nullability or default (on SQLite, a table rebuild). Give `from`
 * (the current values of what changes) to make it reversible.
 */
export function alterColumn(
  table: string,
  column: string,
  change: ColumnChange,
  from?: ColumnChange,
): Op<'alterColumn'> {
  return from
    ? { kind: 'alterColumn', table, column, change, from }
    : { kind: 'alterColumn', table, column, change };
}

/** RENAME COLUMN. */
export function renameColumn(table: string, column: string, to: string): Op<'renameColumn'> {
  return { kind: 'renameColumn', table, column, to };
}

/** CREATE INDEX (unique, partial, multi-column; `concurrently` on PostgreSQL). */
export function createIndex(
  table: string,
  columns: readonly string[],
  spec: IndexSpec = {},
): Op<'createIndex'> {
  return {
    kind: 'createIndex',
    table,
    columns,
    name: spec.name ?? defaultIndexName(table, columns, spec.unique),
    spec,
  };
}

/** DROP INDEX. Give its definition to make it reversible. */
export function dropIndex(
  name: string,
  definition?: { table: string; columns: readonly string[]; spec?: IndexSpec },
): Op<'dropIndex'> {
  return definition
    ? { kind: 'dropIndex', name, definition: { ...definition, spec: definition.spec ?? {} } }
    : { kind: 'dropIndex', name };
}

/** Adds a FOREIGN KEY (on SQLite, a table rebuild). */
export function addForeignKey(
  table: string,
  columns: readonly string[],
  references: { table: string; columns: readonly string[] },
  options: { name?: string; onDelete?: ReferentialAction; onUpdate?: ReferentialAction } = {},
): Op<'addForeignKey'> {
  const spec: ForeignKeySpec & { name: string } = {
    name: options.name ?? defaultForeignKeyName(table, columns),
    columns,
    references,
    ...(options.onDelete ? { onDelete: options.onDelete } : {}),
    ...(options.onUpdate ? { onUpdate: options.onUpdate } : {}),
  };
  return { kind: 'addForeignKey', table, spec };
}

/** Drops a named FOREIGN KEY. Give its definition to make it reversible. */
export function dropForeignKey(
  table: string,
  name: string,
  definition?: ForeignKeySpec,
): Op<'dropForeignKey'> {
  return definition
    ? { kind: 'dropForeignKey', table, name, definition }
    : { kind: 'dropForeignKey', table, name };
}

/** Adds a named CHECK (on SQLite, a table rebuild). */
export function addCheck(table: string, name: string, expression: string): Op<'addCheck'> {
  const spec: CheckSpec = { name, expression };
  return { kind: 'addCheck', table, spec };
}

/** Drops a named CHECK. Give its expression to make it reversible. */
export function dropCheck(table: string, name: string, expression?: string): Op<'dropCheck'> {
  return expression === undefined
    ? { kind: 'dropCheck', table, name }
    : { kind: 'dropCheck', table, name, expression };
}

/** CREATE TYPE ... AS ENUM on PostgreSQL; nothing on SQLite (columns of it get a CHECK). */
export function createEnum<const V extends readonly string[]>(
  name: string,
  values: V,
): Op<'createEnum'> & EnumRef {
  return { kind: 'createEnum', name, values, enum: name };
}

/** DROP TYPE on PostgreSQL; nothing on SQLite. Give the values to make it reversible. */
export function dropEnum(name: string, values?: readonly string[]): Op<'dropEnum'> {
  return values ? { kind: 'dropEnum', name, values } : { kind: 'dropEnum', name };
}

/**
 * ALTER TYPE ... ADD VALUE on PostgreSQL; on SQLite the CHECK of every column of that enum
 * is widened (a rebuild of those tables). Irreversible: PostgreSQL cannot drop enum values.
 */
export function addEnumValue(name: string, value: string): Op<'addEnumValue'> {
  return { kind: 'addEnumValue', name, value };
}

/**
 * Raw SQL, the same on every dialect or per dialect (`{ sqlite: '…', postgres: '…', mysql: '…' }`,
 * see {@link SqlText}). Irreversible unless `down` is given.
 */
export function sql(up: SqlText, down?: SqlText): Op<'sql'> {
  return down === undefined ? { kind: 'sql', up } : { kind: 'sql', up, down };
}
