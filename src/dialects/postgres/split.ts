import { cutStatements, type SqlToken } from '../statements.js';

/*
 * PostgreSQL's lexical rules, from src/backend/parser/scan.l, as far as statement splitting
 * needs them: `--` comments end at a newline (\n or \r); block comments nest (a comment opened
 * inside a comment must be closed too); '…' strings double their quotes and take backslashes literally
 * (standard_conforming_strings, on by default since 9.1); E'…' strings also take backslash
 * escapes; "…" identifiers double their quotes; $tag$…$tag$ dollar quotes, whose tag cannot
 * follow an identifier character ($ continues identifiers) and whose `$` cannot be followed by
 * a digit ($1 is a parameter); identifiers may hold any non-ASCII character.
 */

const SPACE = /[ \t\n\r\f\v]/;
const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CONT = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_DELIMITER = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** PostgreSQL tokens of `sql` (comments and whitespace dropped). Never throws: an unterminated quote or comment runs to the end. */
export function tokenizePostgres(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const n = sql.length;
  let i = 0;
  const push = (kind: SqlToken['kind'], end: number, text = sql.slice(i, end)) => {
    tokens.push({ kind, text, start: i, end });
    i = end;
  };
  while (i < n) {
    const c = sql[i]!;
    if (SPACE.test(c)) i++;
    else if (c === '-' && sql[i + 1] === '-') i = lineEnd(sql, i);
    else if (c === '/' && sql[i + 1] === '*') i = nestedCommentEnd(sql, i);
    else if (c === "'") push('string', quotedEnd(sql, i, "'", false));
    else if (c === '"') push('quoted', quotedEnd(sql, i, '"', false));
    else if (c === '$') {
      const delimiter = DOLLAR_DELIMITER.exec(sql.slice(i, i + 256))?.[0];
      if (delimiter) {
        const close = sql.indexOf(delimiter, i + delimiter.length);
        push('string', close < 0 ? n : close + delimiter.length);
      } else push('punct', i + 1);
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_CONT.test(sql[j]!)) j++;
      // E'…' (any case) is one token: the longest match wins in scan.l, so `xe'` stays a word.
      if (j === i + 1 && (c === 'e' || c === 'E') && sql[j] === "'")
        push('string', quotedEnd(sql, j, "'", true));
      else push('word', j, sql.slice(i, j).toUpperCase());
    } else if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j]!)) j++;
      push('number', j);
    } else push('punct', i + 1);
  }
  return tokens;
}

function lineEnd(sql: string, i: number): number {
  let j = i + 2;
  while (j < sql.length && sql[j] !== '\n' && sql[j] !== '\r') j++;
  return j;
}

/** End of the block comment starting at `i`; `/*` inside opens a nested one (scan.l xcdepth). */
function nestedCommentEnd(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

/** End of the quoted text opening at `i` (a doubled quote stays inside). */
function quotedEnd(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const ch = sql[j]!;
    if (backslashEscapes && ch === '\\') j += 2;
    else if (ch === quote) {
      if (sql[j + 1] !== quote) return j + 1;
      j += 2;
    } else j++;
  }
  return sql.length;
}

const CREATE_ROUTINE_WORDS = new Set(['CREATE', 'OR', 'REPLACE', 'FUNCTION', 'PROCEDURE']);

/**
 * Splits a PostgreSQL script into statements the way psql does (src/fe_utils/psqlscan.l): a
 * `;` ends a statement unless it is inside parentheses (CREATE RULE … DO (a; b)) or inside the
 * BEGIN … END of a SQL-standard body (PostgreSQL 14+ `CREATE [OR REPLACE] FUNCTION|PROCEDURE …
 * BEGIN ATOMIC … END`), where CASE … END nests and keywords inside parentheses do not count.
 */
export function splitPostgresStatements(script: string): string[] {
  let words: string[] = [];
  let parenDepth = 0;
  let beginDepth = 0;
  return cutStatements(script, tokenizePostgres(script), (t) => {
    if (t.kind === 'punct') {
      if (t.text === '(') parenDepth++;
      else if (t.text === ')' && parenDepth > 0) parenDepth--;
      else if (t.text === ';' && parenDepth === 0 && beginDepth === 0) {
        words = [];
        return true;
      }
      return false;
    }
    if (t.kind !== 'word') return false;
    if (words.length < 4) words.push(CREATE_ROUTINE_WORDS.has(t.text) ? t.text : '');
    if (!startsRoutine(words) || parenDepth > 0) return false;
    if (t.text === 'BEGIN') beginDepth++;
    else if (t.text === 'CASE' && beginDepth > 0) beginDepth++;
    else if (t.text === 'END' && beginDepth > 0) beginDepth--;
    return false;
  });
}

/** Do the statement's first words read CREATE [OR REPLACE] FUNCTION|PROCEDURE? */
function startsRoutine(words: readonly string[]): boolean {
  const routine = (w: string | undefined) => w === 'FUNCTION' || w === 'PROCEDURE';
  return (
    words[0] === 'CREATE' &&
    (routine(words[1]) || (words[1] === 'OR' && words[2] === 'REPLACE' && routine(words[3])))
  );
}
