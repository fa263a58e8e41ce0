import type { Dialect, DialectName } from '../dialects/dialect.js';
import { dialectNamed } from '../dialects/registry.js';

/**
 * Splits a SQL script into statements the way the database's own client would: SQLite like
 * sqlite3_complete() (CREATE TRIGGER … BEGIN … END bodies kept whole; block comments do not
 * nest), PostgreSQL like psql (nested block comments, dollar quotes, E'…' strings,
 * `BEGIN ATOMIC … END` bodies, `;` inside parentheses). Statements keep their text, trimmed;
 * pieces with only comments or blanks are dropped. Never throws.
 */
export function splitStatements(script: string, dialect: DialectName | Dialect): string[] {
  return (typeof dialect === 'string' ? dialectNamed(dialect) : dialect).splitStatements(script);
}
