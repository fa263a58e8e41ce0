import type { ExpressionSyntax } from '../../schema/normalize.js';

/** Backtick-quotes an identifier, doubling embedded backticks. */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * Quotes a string literal so that it means the same whatever the session's sql_mode: quotes
 * doubled and backslashes doubled would break under NO_BACKSLASH_ESCAPES, so a value holding a
 * backslash is written as a hex literal of its UTF-8 bytes converted to utf8mb4 instead.
 */
export function quoteLiteral(value: string): string {
  if (!value.includes('\\') && !value.includes('\0')) return `'${value.replace(/'/g, "''")}'`;
  return `CONVERT(X'${Buffer.from(value, 'utf8').toString('hex')}' USING utf8mb4)`;
}

/**
 * MySQL's expression lexing, for normalizing: column names compare case-insensitively, quoted
 * or not (the names its CHECKs and generated columns hold); identifiers are quoted with
 * backticks; there are no E'…' strings.
 */
export const MYSQL_EXPRESSIONS: ExpressionSyntax = {
  foldsQuotedIdentifiers: true,
  identifierQuotes: ['`'],
  escapeStrings: false,
};
