/**
 * SQL clauses the DSL compilers of several dialects spell alike (the FOREIGN KEY grammar,
 * literal defaults), given the dialect's quoting. Shared helpers, not a dialect.
 */
import type { ColumnDefault, ColumnSpec, ForeignKeyActions, ForeignKeySpec, SqlText } from '../ops/types.js';
import type { DialectName } from './dialect.js';

/** The clauses, spelled with one dialect's identifier quoting. */
export interface Clauses {
  /** `"a", "b"`. */
  nameList(names: readonly string[]): string;
  /** ` ON DELETE ... ON UPDATE ...`, only the actions given. */
  referentialActions(spec: ForeignKeyActions): string;
  /** A column's `REFERENCES t (c) ...` clause. */
  referencesClause(references: NonNullable<ColumnSpec['references']>): string;
  /** A table's `[CONSTRAINT name] FOREIGN KEY (...) REFERENCES t (...) ...` item. */
  foreignKeyClause(spec: ForeignKeySpec): string;
}

/** The clauses of a dialect that quotes identifiers with `quoteIdent`. */
export function clauses(quoteIdent: (name: string) => string): Clauses {
  const nameList = (names: readonly string[]) => names.map(quoteIdent).join(', ');
  const referentialActions = (spec: ForeignKeyActions) =>
    `${spec.onDelete ? ` ON DELETE ${spec.onDelete}` : ''}${spec.onUpdate ? ` ON UPDATE ${spec.onUpdate}` : ''}`;
  return {
    nameList,
    referentialActions,
    referencesClause: (references) =>
      `REFERENCES ${quoteIdent(references.table)} (${quoteIdent(references.column)})${referentialActions(references)}`,
    foreignKeyClause(spec) {
      const name = spec.name ? `CONSTRAINT ${quoteIdent(spec.name)} ` : '';
      return `${name}FOREIGN KEY (${nameList(spec.columns)}) REFERENCES ${quoteIdent(spec.references.table)} (${nameList(spec.references.columns)})${referentialActions(spec)}`;
    },
  };
}

/** How a dialect spells the literal parts of a default. */
export interface DefaultSpelling {
  readonly name: DialectName;
  quoteLiteral(value: string): string;
  /** `true`/`false` where the dialect has booleans, `1`/`0` where booleans are integers. */
  booleanLiteral(value: boolean): string;
}

/**
 * The SQL after DEFAULT, or null for no default. `sqlDefault({ <dialect>: … })` takes this
 * dialect's text; throws a TypeError when it has none (validation refuses that first).
 */
export function defaultSql(value: ColumnDefault | undefined, spelling: DefaultSpelling): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return spelling.quoteLiteral(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new TypeError(`A column default must be a finite number (got ${value}).`);
    return value < 0 ? `(${value})` : String(value);
  }
  // A boolean default belongs to a boolean column: the dialect's boolean, or 0/1 where booleans are integers.
  if (typeof value === 'boolean') return spelling.booleanLiteral(value);
  if ('now' in value) return 'CURRENT_TIMESTAMP';
  if (typeof value.sql === 'string') return value.sql;
  const text = value.sql[spelling.name];
  if (typeof text !== 'string') throw new TypeError(`sqlDefault() has no SQL for dialect ${spelling.name}.`);
  return text;
}

/** The text of a `sql` operation for dialect `name`: the one text, or the dialect's own. */
export function sqlFor(up: SqlText, name: DialectName): string {
  if (typeof up === 'string') return up;
  const text = up[name];
  if (typeof text !== 'string') throw new TypeError(`sql() has no SQL for dialect ${name}.`);
  return text;
}
