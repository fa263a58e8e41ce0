import type { ExpressionSyntax } from '../../schema/normalize.js';

/** Double-quotes an identifier, doubling embedded quotes. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal (standard_conforming_strings on, the default since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** PostgreSQL's expression lexing, for normalizing: only unquoted identifiers fold; E'…' strings. */
export const POSTGRES_EXPRESSIONS: ExpressionSyntax = {
  foldsQuotedIdentifiers: false,
  identifierQuotes: [],
  escapeStrings: true,
};
