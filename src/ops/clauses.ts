/**
 * SQL clauses spelled the same on SQLite and PostgreSQL (both quote names with double
 * quotes and share the FOREIGN KEY grammar), used by both dialects' compilers.
 */
import { quoteIdent } from '../dialects/sqlite/ddl.js';
import type { ColumnSpec, ForeignKeyActions, ForeignKeySpec } from './types.js';

/** `"a", "b"`. */
export function nameList(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}

/** ` ON DELETE ... ON UPDATE ...`, only the actions given. */
export function referentialActions(spec: ForeignKeyActions): string {
  return `${spec.onDelete ? ` ON DELETE ${spec.onDelete}` : ''}${spec.onUpdate ? ` ON UPDATE ${spec.onUpdate}` : ''}`;
}

/** A column's `REFERENCES t (c) ...` clause. */
export function referencesClause(references: NonNullable<ColumnSpec['references']>): string {
  return `REFERENCES ${quoteIdent(references.table)} (${quoteIdent(references.column)})${referentialActions(references)}`;
}

/** A table's `[CONSTRAINT name] FOREIGN KEY (...) REFERENCES t (...) ...` item. */
export function foreignKeyClause(spec: ForeignKeySpec): string {
  const name = spec.name ? `CONSTRAINT ${quoteIdent(spec.name)} ` : '';
  return `${name}FOREIGN KEY (${nameList(spec.columns)}) REFERENCES ${quoteIdent(spec.references.table)} (${nameList(spec.references.columns)})${referentialActions(spec)}`;
}
