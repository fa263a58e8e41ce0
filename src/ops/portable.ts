/**
 * Portable types and defaults, per dialect: the SQL a column is declared with, and how each
 * database reports it back (so folding an operation gives what introspection will find).
 */
import type { DialectName } from '../dialects/dialect.js';
import { quoteIdent, quoteLiteral } from '../dialects/sqlite/ddl.js';
import { DbDoctorError } from '../errors.js';
import { normalizeExpression, normalizeType } from '../schema/normalize.js';
import type { ColumnDefault, ColumnType, EnumRef, PortableType } from './types.js';

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

const POSTGRES_TYPES: Record<PortableType, string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  boolean: 'boolean',
  real: 'double precision',
  numeric: 'numeric',
  timestamp: 'timestamp with time zone',
  date: 'date',
  json: 'jsonb',
  uuid: 'uuid',
  blob: 'bytea',
};

/** Every portable type name, for validating input. */
export const PORTABLE_TYPES = Object.keys(SQLITE_TYPES) as PortableType[];

/** Whether a column type is an enum reference. */
export function isEnumRef(type: ColumnType): type is EnumRef {
  return typeof type === 'object' && type !== null && 'enum' in type;
}

/** The type a column is declared with. Enums are TEXT on SQLite (with a CHECK) and the type on PostgreSQL. */
export function columnTypeSql(type: ColumnType, dialect: DialectName): string {
  if (isEnumRef(type)) return dialect === 'sqlite' ? 'TEXT' : quoteIdent(type.enum);
  return (dialect === 'sqlite' ? SQLITE_TYPES : POSTGRES_TYPES)[type];
}

/**
 * A column type that folds to `model` on `dialect` (enums without their values): enough to
 * spell a default the way the database reports it. Unknown types count as text.
 */
export function columnTypeOfModel(model: string, dialect: DialectName): ColumnType {
  if (model.startsWith('enum:')) return { enum: model.slice('enum:'.length), values: [] };
  return PORTABLE_TYPES.find((t) => modelType(t, dialect) === model) ?? 'text';
}

/** The model type introspection reports for a column of this type. */
export function modelType(type: ColumnType, dialect: DialectName): string {
  if (isEnumRef(type)) return dialect === 'sqlite' ? 'text' : `enum:${type.enum}`;
  return normalizeType(columnTypeSql(type, dialect));
}

/** The name of the CHECK that stands for an enum on SQLite (a table constraint). */
export function enumCheckName(enumName: string, column: string): string {
  return `enum_${enumName}__${column}`;
}

/** Whether a CHECK's name marks it as the one standing for an enum on `column` (SQLite). */
export function isEnumCheckOf(checkName: string | null | undefined, column: string): boolean {
  return checkName?.startsWith('enum_') === true && checkName.endsWith(`__${column}`);
}

/** The expression of that CHECK. */
export function enumCheckExpression(column: string, values: readonly string[]): string {
  return `${quoteIdent(column)} IN (${values.map(quoteLiteral).join(', ')})`;
}

/** The SQL after DEFAULT, or null for no default. */
export function defaultSql(
  value: ColumnDefault | undefined,
  _type: ColumnType,
  dialect: DialectName,
): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return quoteLiteral(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new TypeError(`A column default must be a finite number (got ${value}).`);
    return value < 0 ? `(${value})` : String(value);
  }
  if (typeof value === 'boolean') {
    // A boolean default belongs to a boolean column: PostgreSQL's boolean, SQLite's 0/1 INTEGER.
    if (dialect === 'postgres') return value ? 'true' : 'false';
    return value ? '1' : '0';
  }
  if ('now' in value) return 'CURRENT_TIMESTAMP';
  return typeof value.sql === 'string' ? value.sql : perDialectSql(value.sql, dialect);
}

/** The SQL for `dialect` of a per-dialect pair; MySQL's is optional and refused when missing. */
export function perDialectSql(
  sql: { readonly sqlite: string; readonly postgres: string; readonly mysql?: string },
  dialect: DialectName,
): string {
  const text = sql[dialect];
  if (text !== undefined) return text;
  throw new DbDoctorError(
    'BAD_MIGRATION',
    `An operation gives SQL for ${Object.keys(sql).join(' and ')} only, not for ${dialect}.`,
    {
      unchanged: 'Nothing was run.',
      hint: `Add a \`${dialect}\` entry next to \`sqlite\` and \`postgres\` in that sql({ ... }) or default.`,
    },
  );
}

/** PostgreSQL's spelling of a type in a cast (what pg_get_expr writes after `::`). */
function pgCastName(type: ColumnType): string {
  if (isEnumRef(type)) return /^[a-z_][a-z0-9_]*$/.test(type.enum) ? type.enum : quoteIdent(type.enum);
  return POSTGRES_TYPES[type];
}

/**
 * The normalized default introspection reports, or null. SQLite keeps the text as written;
 * PostgreSQL deparses constants with a cast except plain integers, numerics and booleans.
 */
export function modelDefault(
  value: ColumnDefault | undefined,
  type: ColumnType,
  dialect: DialectName,
): string | null {
  const sqlText = defaultSql(value, type, dialect);
  if (sqlText === null) return null;
  if (dialect === 'sqlite') return normalizeExpression(sqlText);
  if (typeof value === 'string')
    return normalizeExpression(`${quoteLiteral(value)}::${pgCastName(type)}`, 'postgres');
  if (typeof value === 'number') {
    // Non-negative numbers print plainly; negative ones as a quoted constant with a cast.
    const text = String(value);
    return normalizeExpression(value >= 0 ? text : `'${text}'::${pgCastName(type)}`, 'postgres');
  }
  return normalizeExpression(sqlText, 'postgres');
}
