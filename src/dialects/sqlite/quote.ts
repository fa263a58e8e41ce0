import { type ExpressionSyntax, LENIENT_EXPRESSIONS } from '../../schema/normalize.js';

/** Double-quotes an identifier, doubling embedded quotes. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Single-quotes a string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** SQLite's expression lexing, for normalizing (identifiers fold even when quoted; "", ``, [] quotes). */
export const SQLITE_EXPRESSIONS: ExpressionSyntax = LENIENT_EXPRESSIONS;
