/**
 * Portable types, and the parts of folding that follow from a dialect's column model: each
 * dialect's compiler ({@link OperationCompiler.columns}) says how a type is declared and reported.
 */
import type { Dialect } from '../dialects/dialect.js';
import type { ColumnType, EnumRef, PortableType } from './types.js';

/** Every portable type name, for validating input. */
export const PORTABLE_TYPES: PortableType[] = [
  'text',
  'integer',
  'bigint',
  'boolean',
  'real',
  'numeric',
  'timestamp',
  'date',
  'json',
  'uuid',
  'blob',
];

/** Whether a column type is an enum reference. */
export function isEnumRef(type: ColumnType): type is EnumRef {
  return typeof type === 'object' && type !== null && 'enum' in type;
}

/**
 * A column type that folds to `model` on `dialect` (enums without their values): enough to
 * spell a default the way the database reports it. Unknown types count as text.
 */
export function columnTypeOfModel(model: string, dialect: Dialect): ColumnType {
  if (model.startsWith('enum:')) return { enum: model.slice('enum:'.length), values: [] };
  return PORTABLE_TYPES.find((t) => dialect.compiler.columns.modelType(t) === model) ?? 'text';
}

/** The name of the CHECK that stands for an enum where enums are CHECKs (a table constraint). */
export function enumCheckName(enumName: string, column: string): string {
  return `enum_${enumName}__${column}`;
}

/** Whether a CHECK's name marks it as the one standing for an enum on `column`. */
export function isEnumCheckOf(checkName: string | null | undefined, column: string): boolean {
  return checkName?.startsWith('enum_') === true && checkName.endsWith(`__${column}`);
}

/** The expression of that CHECK, in `dialect`'s quoting. */
export function enumCheckExpression(
  column: string,
  values: readonly string[],
  quoting: Pick<Dialect, 'quoteIdent' | 'quoteLiteral'>,
): string {
  return `${quoting.quoteIdent(column)} IN (${values.map(quoting.quoteLiteral).join(', ')})`;
}

/** The values listed in an enum CHECK's IN list. */
export function enumValuesOf(expression: string): string[] {
  const list = /\bin\s*\((.*)\)\s*$/i.exec(expression)?.[1] ?? '';
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] as string).replace(/''/g, "'"));
}
