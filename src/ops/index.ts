/** The operation DSL: builders, types, folding into the schema model, inverses. */
export {
  addCheck,
  addColumn,
  addEnumValue,
  addForeignKey,
  alterColumn,
  createEnum,
  createIndex,
  createTable,
  defaultForeignKeyName,
  defaultIndexName,
  dropCheck,
  dropColumn,
  dropEnum,
  dropForeignKey,
  dropIndex,
  dropTable,
  enumType,
  now,
  renameColumn,
  renameTable,
  sql,
  sqlDefault,
} from './builders.js';
export { type FoldResult, foldOperations } from './fold.js';
export { type Inversion, invertOperations } from './inverse.js';
export { type LintFinding, lintOperations } from './lint.js';
export { PORTABLE_TYPES } from './portable.js';
export type {
  CheckSpec,
  ColumnChange,
  ColumnDefault,
  ColumnSpec,
  ColumnType,
  EnumRef,
  ForeignKeySpec,
  IndexSpec,
  Operation,
  OperationKind,
  PerDialectSql,
  PortableType,
  SqlText,
  TableSpec,
} from './types.js';
