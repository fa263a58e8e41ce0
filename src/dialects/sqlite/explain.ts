import { errorMessage } from '../../errors.js';
import type { FailureExplanation } from '../dialect.js';
import { tokenize, unquoteIdent } from './create-sql.js';

/**
 * Explains "no such column: X" when the statement writes "X" in double quotes. SQLite reads a
 * double-quoted word as an identifier and, in builds with SQLITE_DQS enabled (the sqlite3 shell,
 * many language bindings), falls back to a string when no such column exists. better-sqlite3 is
 * compiled with SQLITE_DQS=0 (deps/defines.gypi) and exposes no sqlite3_db_config() switch for
 * SQLITE_DBCONFIG_DQS_DML, so the fallback cannot be turned on; see
 * https://www.sqlite.org/quirks.html#dblquote.
 */
export function explainSqliteFailure(error: unknown, statement: string): FailureExplanation | null {
  // SQLite 3.50 words it `no such column: "x" - should this be a string literal in single-quotes?`.
  const m = /^no such column: (.+?)(?: - should this be a string literal in single-quotes\?)?$/.exec(
    errorMessage(error),
  );
  if (!m) return null;
  const name = /^".*"$/.test(m[1]!) ? unquoteIdent(m[1]!) : m[1]!;
  const quoted = tokenize(statement).find(
    (t) => t.kind === 'quoted' && t.text.startsWith('"') && unquoteIdent(t.text) === name,
  );
  if (!quoted) return null;
  const literal = quoted.text;
  const single = `'${name.replaceAll("'", "''")}'`;
  return {
    code: 'SQLITE_DOUBLE_QUOTED_STRING',
    message: `${literal} is a double-quoted string, which this SQLite reads as a column name (no such column: ${name}). dbdoctor's SQLite (better-sqlite3) is built with SQLITE_DQS=0, so double-quoted string literals are not accepted, although the sqlite3 shell accepts them`,
    hint: `Write string literals in single quotes: ${single} instead of ${literal}. (If ${literal} is meant to be a column, check its name.)`,
    needle: literal,
  };
}
