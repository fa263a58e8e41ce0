/*
 * Statement splitting for MySQL and MariaDB, following the mysql command-line client
 * (client/mysql.cc add_line) and the server's lexer (sql/sql_lex.cc):
 * - `#` comments and `-- ` comments (two dashes followed by whitespace, a control character or
 *   the end) run to the end of the line; `--x` is two minus signs.
 * - Block comments do not nest. `/*!…*​/` and `/*M!…*​/` are executable comments: the server runs
 *   their text, so they count as statement text (mysqldump writes whole statements in them).
 * - '…' and "…" strings take backslash escapes and doubled quotes; `…` identifiers double
 *   their backticks and take no escapes. After a statement that SETs the session's sql_mode,
 *   NO_BACKSLASH_ESCAPES makes a backslash plain (as the mysql client follows the server's status
 *   flag) and ANSI_QUOTES makes "…" an identifier (no escapes); see {@link modeAfter}.
 * - `DELIMITER xx` at the start of a line, between statements, is a client command: statements
 *   then end at `xx` (anywhere outside quotes and comments), and `;` is plain text, until the next
 *   DELIMITER line. The DELIMITER lines themselves are not statements.
 * - With the `;` delimiter, the compound body of a stored program (CREATE PROCEDURE, FUNCTION,
 *   TRIGGER, EVENT as the word right after the CREATE prefix) or of a MariaDB anonymous block
 *   (BEGIN NOT ATOMIC) is kept whole: BEGIN, CASE, WHILE and statement-position IF, LOOP, REPEAT
 *   and (MariaDB) FOR open a block that END closes (`END IF`, `END LOOP`, … close one), so a `;`
 *   inside it does not end the statement. Only bare words are keywords: not a word after `.` or
 *   `@` or right before `.` (NEW.end, @begin), nor a quoted name, nor anything in parentheses;
 *   BEGIN and END (not reserved) are names after punctuation other than `;` `:` `)` and after
 *   words that expect a name (SELECT, SET, WHERE, …). Outside a stored program no word opens a
 *   block. Not handled: an unqualified column named end or begin right after a word not in that
 *   list, e.g. an alias `COUNT(*) end` inside a body.
 */
import { terminated } from '../statements.js';

type Kind = 'word' | 'name' | 'punct';

interface Word {
  /** Upper-cased for words; the character itself for punctuation. */
  text: string;
  /**
   * `word`: a bare word, which may be a keyword. `name`: never a keyword (a quoted string or
   * identifier, a word after `.` or `@`, a word right before `.`). `punct`: one other character.
   */
  kind: Kind;
}

/** Whitespace between tokens. */
export const SPACE = /[ \t\n\r\f\v]/;
/** A character of a bare word (keyword or unquoted name). */
export const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;
const ROUTINE_KINDS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT']);
/** Words after which an IF, LOOP or REPEAT starts a statement (and so a block), not an expression. */
const STATEMENT_START = new Set([';', 'BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT', ':', 'ROW']);
const ENDED_BY_END_WORD = new Set(['IF', 'LOOP', 'REPEAT', 'WHILE', 'CASE', 'FOR']);
/**
 * Words after which BEGIN and END (not reserved in MySQL, so usable as column and variable names)
 * are names: each of them expects a name or an expression next, never a compound statement, and
 * no block ends right after one of them.
 */
const NAME_AFTER = new Set([
  'SELECT',
  'DISTINCT',
  'FROM',
  'JOIN',
  'WHERE',
  'AND',
  'OR',
  'XOR',
  'NOT',
  'IS',
  'IN',
  'LIKE',
  'ON',
  'USING',
  'BY',
  'HAVING',
  'AS',
  'SET',
  'INTO',
  'UPDATE',
  'TABLE',
  'ADD',
  'COLUMN',
  'DROP',
  'CHANGE',
  'MODIFY',
  'RENAME',
  'TO',
  'DECLARE',
  'RETURN',
  'CALL',
  'WHEN',
  'IF',
  'ELSEIF',
  'WHILE',
  'UNTIL',
  'CASE',
  'OUT',
  'INOUT',
  'EXISTS',
  'PROCEDURE',
  'FUNCTION',
  'TRIGGER',
  'EVENT',
  'FETCH',
  'OPEN',
  'CLOSE',
  'LEAVE',
  'ITERATE',
]);
/** Punctuation after which a block may begin or end: `;`, a label's `:`, a parameter list's `)`. */
const BLOCK_PUNCT = new Set([';', ':', ')']);

/** Tracks compound-statement depth inside one statement, token by token. */
class BodyTracker {
  /** The statement's first tokens, kept until it is known whether it creates a stored program. */
  private head: Word[] = [];
  private routine: boolean | undefined = undefined;
  private prev: Word | undefined = undefined;
  private depth = 0;
  private parens = 0;
  private afterEnd = false;

  reset(): void {
    this.head = [];
    this.routine = undefined;
    this.prev = undefined;
    this.depth = 0;
    this.parens = 0;
    this.afterEnd = false;
  }

  get inBody(): boolean {
    return this.depth > 0;
  }

  /**
   * Feeds one token. `groupHasComma` tells, for a word followed by `(`, whether that group has a
   * comma at its top level (IF(a, b, c) and REPEAT(s, n) are functions).
   */
  feed(token: Word, groupHasComma: () => boolean): void {
    const prev = this.prev;
    this.prev = token;
    if (this.routine === undefined) {
      this.head.push(token);
      this.routine = startsRoutine(this.head);
      // BEGIN NOT ATOMIC is itself the block's BEGIN.
      if (this.routine && this.head[0]!.text === 'BEGIN') this.depth = 1;
      if (this.routine !== undefined) this.head = [];
      return;
    }
    if (!this.routine) return;
    if (token.kind === 'punct') {
      // No compound statement, and no block keyword, is ever inside parentheses.
      if (token.text === '(') this.parens++;
      else if (token.text === ')' && this.parens > 0) this.parens--;
      this.afterEnd = false;
      return;
    }
    if (token.kind === 'name' || this.parens > 0) {
      this.afterEnd = false;
      return;
    }
    const word = token.text;
    if (this.afterEnd) {
      this.afterEnd = false;
      if (ENDED_BY_END_WORD.has(word)) return;
    }
    const atStatementStart = prev !== undefined && prev.kind !== 'name' && STATEMENT_START.has(prev.text);
    const nameContext =
      prev !== undefined &&
      ((prev.kind === 'punct' && !BLOCK_PUNCT.has(prev.text)) ||
        (prev.kind === 'word' && NAME_AFTER.has(prev.text)));
    switch (word) {
      case 'BEGIN':
        if (!nameContext) this.depth++;
        return;
      case 'CASE':
      case 'WHILE':
        this.depth++;
        return;
      case 'FOR':
        // MariaDB's FOR … DO … END FOR (not FOR EACH ROW, FOR UPDATE).
        if (atStatementStart) this.depth++;
        return;
      case 'IF':
      case 'REPEAT':
      case 'LOOP':
        if (atStatementStart && !(word !== 'LOOP' && groupHasComma())) this.depth++;
        return;
      case 'END':
        if (nameContext) return;
        if (this.depth > 0) this.depth--;
        this.afterEnd = true;
        return;
    }
  }
}

/**
 * Whether the statement whose first tokens are `w` creates a stored program: CREATE [OR REPLACE]
 * [ALGORITHM = x] [DEFINER = user | CURRENT_USER[()]] [SQL SECURITY x] [AGGREGATE] and then
 * PROCEDURE, FUNCTION, TRIGGER or EVENT as the very next word; or BEGIN NOT ATOMIC. Undefined
 * while the tokens so far do not tell.
 */
function startsRoutine(w: Word[]): boolean | undefined {
  const is = (i: number, text: string) => w[i] !== undefined && w[i]!.kind !== 'name' && w[i]!.text === text;
  if (w.length === 0) return undefined;
  if (is(0, 'BEGIN')) return w.length < 2 ? undefined : is(1, 'NOT');
  if (!is(0, 'CREATE')) return false;
  let i = 1;
  if (is(i, 'OR')) i += 2;
  if (is(i, 'ALGORITHM')) i += 3;
  if (is(i, 'DEFINER')) {
    i += 2;
    if (is(i, 'CURRENT_USER')) {
      i++;
      if (is(i, '(')) i += 2;
    } else {
      // user, or user@host, each part a word or quoted; an unquoted host may hold `.` and `-`.
      i++;
      if (is(i, '@')) {
        i += 2;
        while ((is(i, '.') || is(i, '-')) && w[i + 1] !== undefined && w[i + 1]!.kind !== 'punct') i += 2;
      }
    }
  }
  if (is(i, 'SQL')) i += 3;
  if (is(i, 'AGGREGATE')) i++;
  // A token more is needed to tell an unquoted host's `.` from what follows it.
  if (i + 1 >= w.length) return undefined;
  return w[i]!.kind === 'word' && ROUTINE_KINDS.has(w[i]!.text);
}

/**
 * Splits a MySQL/MariaDB script into statements the way the mysql client sends them (see the
 * rules at the top of this file). Never throws: an unterminated quote or comment runs to the end.
 * Statements are trimmed and keep their leading comments; pieces with no statement text are
 * dropped.
 */
export function splitMysqlStatements(script: string): string[] {
  const out: string[] = [];
  const n = script.length;
  const body = new BodyTracker();
  let mode: QuoteMode = { noBackslashEscapes: false, ansiQuotes: false };
  const userVariables = new Map<string, QuoteMode>();
  let delimiter = ';';
  let start = 0;
  let hasToken = false;
  /** The previous token when it was punctuation (a word after `.` or `@` is a name). */
  let lastPunct = '';
  let i = 0;
  const push = (statement: string) => {
    out.push(statement);
    mode = modeAfter(statement, mode, userVariables);
  };
  const finish = (end: number, next: number) => {
    if (hasToken) push(script.slice(start, end).trim());
    start = next;
    hasToken = false;
    lastPunct = '';
    body.reset();
  };
  const feed = (token: Word, groupHasComma: () => boolean = () => false) => {
    hasToken = true;
    lastPunct = token.kind === 'punct' ? token.text : '';
    if (delimiter === ';') body.feed(token, groupHasComma);
  };
  while (i < n) {
    const c = script[i]!;
    if (!hasToken && atLineStart(script, i)) {
      const m = /^delimiter[ \t]+(\S+)[^\n]*(\n|$)/i.exec(script.slice(i, i + 1024));
      if (m) {
        // The text before it holds comments only; it is dropped with the command.
        delimiter = m[1]!;
        i += m[0].length;
        start = i;
        continue;
      }
    }
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '-' && script[i + 1] === '-' && isCommentSpace(script[i + 2]))) {
      while (i < n && script[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && script[i + 1] === '*') {
      const executable = script[i + 2] === '!' || (script[i + 2] === 'M' && script[i + 3] === '!');
      const close = script.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      if (executable) hasToken = true;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      i = quotedEnd(script, i, c, escapesIn(c, mode));
      feed({ text: c, kind: 'name' });
      continue;
    }
    if (delimiter !== ';' && script.startsWith(delimiter, i)) {
      finish(i, i + delimiter.length);
      i += delimiter.length;
      continue;
    }
    if (WORD.test(c)) {
      let j = i + 1;
      // A custom delimiter may follow a word directly (END$$, and `$` is a word character).
      while (j < n && WORD.test(script[j]!) && !(delimiter !== ';' && script.startsWith(delimiter, j))) j++;
      const word = script.slice(i, j).toUpperCase();
      const after = j;
      // NEW.end, t.begin, @end: a qualified or variable name; so is a qualifier (end.x).
      const name = lastPunct === '.' || lastPunct === '@' || script[j] === '.';
      i = j;
      feed({ text: word, kind: name ? 'name' : 'word' }, () => groupHasComma(script, after, mode));
      continue;
    }
    if (c === ';' && delimiter === ';' && !body.inBody) {
      finish(i, i + 1);
      i++;
      continue;
    }
    feed({ text: c, kind: 'punct' });
    i++;
  }
  if (hasToken) push(script.slice(start).trim());
  return out;
}

/**
 * How the session reads quotes, from its sql_mode: the mysql client follows the server's
 * NO_BACKSLASH_ESCAPES status flag, so after a statement that sets it a backslash in a string is
 * an ordinary character; with ANSI_QUOTES (also in the ANSI, ORACLE, POSTGRESQL, DB2, MSSQL and
 * MAXDB modes), "…" is an identifier, which takes no escapes.
 */
interface QuoteMode {
  noBackslashEscapes: boolean;
  ansiQuotes: boolean;
}

const ANSI_QUOTES_MODES = new Set(['ANSI_QUOTES', 'ANSI', 'ORACLE', 'POSTGRESQL', 'DB2', 'MSSQL', 'MAXDB']);

/** Whether a backslash escapes inside text quoted by `quote` in `mode`. */
function escapesIn(quote: string, mode: QuoteMode): boolean {
  if (quote === '`' || (quote === '"' && mode.ansiQuotes)) return false;
  return !mode.noBackslashEscapes;
}

/**
 * The quote mode after `statement` ran: changed by a top-level `SET` of the session's sql_mode
 * (`sql_mode`, `SESSION sql_mode`, `@@sql_mode`, `@@SESSION.sql_mode`, `@@LOCAL.sql_mode`, also
 * inside a `/*!…*​/` executable comment as mysqldump writes it). The value is read from its text:
 * a literal's list of modes; `@@sql_mode` or a user variable saved from it earlier in the script
 * (`SET @OLD_SQL_MODE = @@SQL_MODE`) as the mode then; CONCAT(@@sql_mode, '…') adds the modes
 * named, REPLACE(@@sql_mode, '…', '') removes them; DEFAULT (and anything else) is neither
 * mode. A SET GLOBAL changes nothing for this session.
 */
function modeAfter(statement: string, mode: QuoteMode, userVariables: Map<string, QuoteMode>): QuoteMode {
  const text = statement
    .replace(/^(?:\s+|#[^\n]*|--[^\n]*|\/\*(?![M]?!)[\s\S]*?\*\/)*/, '')
    .replace(/^\/\*M?!\d*\s*([\s\S]*?)\*\/$/, '$1');
  if (!/^set\s/i.test(text)) return mode;
  let current = mode;
  for (const assignment of topLevelParts(text.slice(3), mode)) {
    const m = /^\s*(@@(?:session\.|local\.)?|(?:session|local)\s+)?(@?[\w$]+)\s*:?=\s*([\s\S]*?)\s*$/i.exec(
      assignment,
    );
    if (!m) continue;
    const [, scope, target, valueText] = m as unknown as [string, string | undefined, string, string];
    const value = modeOf(valueText, current, userVariables);
    if (target.startsWith('@')) {
      if (!scope) userVariables.set(target.toLowerCase(), value);
    } else if (target.toLowerCase() === 'sql_mode') current = value;
  }
  return current;
}

function modeOf(valueText: string, current: QuoteMode, userVariables: Map<string, QuoteMode>): QuoteMode {
  const v = valueText.trim();
  if (/^@@(?:session\.|local\.)?sql_mode$/i.test(v)) return current;
  if (/^@[\w$]+$/.test(v)) return userVariables.get(v.toLowerCase()) ?? current;
  const named = new Set<string>();
  for (const lit of v.matchAll(/'((?:[^'\\]|''|\\.)*)'|"((?:[^"\\]|""|\\.)*)"/g))
    for (const part of (lit[1] ?? lit[2] ?? '').split(',')) named.add(part.trim().toUpperCase());
  const has = (set: Set<string>) => ({
    noBackslashEscapes: set.has('NO_BACKSLASH_ESCAPES'),
    ansiQuotes: [...set].some((x) => ANSI_QUOTES_MODES.has(x)),
  });
  const listed = has(named);
  if (/@@(?:session\.|local\.)?sql_mode\b/i.test(v)) {
    if (/^replace\s*\(/i.test(v))
      return {
        noBackslashEscapes: current.noBackslashEscapes && !listed.noBackslashEscapes,
        ansiQuotes: current.ansiQuotes && !listed.ansiQuotes,
      };
    return {
      noBackslashEscapes: current.noBackslashEscapes || listed.noBackslashEscapes,
      ansiQuotes: current.ansiQuotes || listed.ansiQuotes,
    };
  }
  return listed;
}

/** `text` cut at its top-level commas (outside quotes and parentheses). */
function topLevelParts(text: string, mode: QuoteMode): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = quotedEnd(text, i, ch, escapesIn(ch, mode)) - 1;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

/** Only whitespace between the previous newline (or the start) and `i`. */
function atLineStart(script: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const ch = script[j]!;
    if (ch === '\n') return true;
    if (ch !== ' ' && ch !== '\t' && ch !== '\r') return false;
  }
  return true;
}

/** `-- ` starts a comment only when followed by whitespace, a control character or the end. */
export function isCommentSpace(ch: string | undefined): boolean {
  return ch === undefined || ch <= ' ';
}

/** End of the quoted text opening at `i` (a doubled quote stays inside; `\` escapes where allowed). */
export function quotedEnd(script: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < script.length) {
    const ch = script[j]!;
    if (backslashEscapes && ch === '\\') j += 2;
    else if (ch === quote) {
      if (script[j + 1] !== quote) return j + 1;
      j += 2;
    } else j++;
  }
  return script.length;
}

/** Whether the parenthesised group right after `from` (whitespace allowed) has a top-level comma. */
function groupHasComma(script: string, from: number, mode: QuoteMode): boolean {
  let i = from;
  while (i < script.length && SPACE.test(script[i]!)) i++;
  if (script[i] !== '(') return false;
  let depth = 0;
  for (; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = quotedEnd(script, i, ch, escapesIn(ch, mode)) - 1;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) return false;
    } else if (ch === ',' && depth === 1) return true;
    else if (ch === ';' && depth === 0) return false;
  }
  return false;
}

/** One token of a MySQL statement, as {@link tokenizeMysql} reads it. */
export interface MysqlToken {
  /**
   * `word`: a bare word (keyword, name or number), upper-cased in `text`. `ident`: a `…`
   * identifier, `text` unquoted. `string`: a '…' string, `text` unquoted. `dquoted`: a "…" text,
   * a string or (ANSI_QUOTES) an identifier, `text` unquoted. `punct`: one other character.
   */
  kind: 'word' | 'ident' | 'string' | 'dquoted' | 'punct';
  text: string;
  /** The token as a name: a word as written (not upper-cased), quoted text unquoted. */
  value: string;
  /** Where the token starts and ends in the statement (end exclusive). */
  start: number;
  end: number;
}

/**
 * The tokens of one statement, comments dropped, with the text of `/*!…*​/` and `/*M!…*​/`
 * executable comments (after their version number) read as code, as the server reads it: a
 * statement mysqldump wraps in one is seen whole. Quotes follow the default sql_mode (backslash
 * escapes) unless `backslashEscapes` is false (NO_BACKSLASH_ESCAPES). Never throws: an
 * unterminated quote or comment runs to the end.
 */
export function tokenizeMysql(statement: string, options: { backslashEscapes?: boolean } = {}): MysqlToken[] {
  const out: MysqlToken[] = [];
  scanTokens(statement, 0, statement.length, out, options.backslashEscapes ?? true);
  return out;
}

function unquote(text: string, quote: string, backslashEscapes: boolean): string {
  let s = text.slice(1, text.endsWith(quote) && text.length > 1 ? -1 : undefined);
  s = s.replaceAll(quote + quote, quote);
  return backslashEscapes ? s.replace(/\\(.)/gs, '$1') : s;
}

function scanTokens(script: string, from: number, to: number, out: MysqlToken[], escapes: boolean): void {
  let i = from;
  while (i < to) {
    const c = script[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '-' && script[i + 1] === '-' && isCommentSpace(script[i + 2]))) {
      while (i < to && script[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && script[i + 1] === '*') {
      const close = script.indexOf('*/', i + 2);
      const end = close < 0 || close > to ? to : close;
      let body = -1;
      if (script[i + 2] === '!') body = i + 3;
      else if (script[i + 2] === 'M' && script[i + 3] === '!') body = i + 4;
      if (body >= 0) {
        while (body < end && /[0-9]/.test(script[body]!)) body++;
        scanTokens(script, body, end, out, escapes);
      }
      i = Math.min(to, end + 2);
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const end = Math.min(to, quotedEnd(script, i, c, c !== '`' && escapes));
      const raw = script.slice(i, end);
      const kind = c === '`' ? 'ident' : c === '"' ? 'dquoted' : 'string';
      const value = unquote(raw, c, c !== '`' && escapes);
      out.push({ kind, text: value, value, start: i, end });
      i = end;
      continue;
    }
    if (WORD.test(c)) {
      let j = i + 1;
      while (j < to && WORD.test(script[j]!)) j++;
      const value = script.slice(i, j);
      out.push({ kind: 'word', text: value.toUpperCase(), value, start: i, end: j });
      i = j;
      continue;
    }
    out.push({ kind: 'punct', text: c, value: c, start: i, end: i + 1 });
    i++;
  }
}

/**
 * One statement as the mysql client reads it from a script: `…;`, or, when it holds a `;` (a
 * routine, trigger or event body; or any `;`, even one in a string, since whether a backslash
 * escapes there depends on the session's sql_mode), between `DELIMITER $$` lines, as mysqldump
 * writes them; the client would otherwise end the statement at the first `;` inside. A body
 * holding `$$` itself gets a longer delimiter. A trailing line comment gets the terminator on a
 * line of its own.
 */
export function mysqlClientStatement(sql: string): string {
  if (!sql.includes(';')) return terminated(sql, ';', true);
  let delimiter = '$$';
  while (sql.includes(delimiter)) delimiter += '$';
  return `DELIMITER ${delimiter}\n${terminated(sql, delimiter, true)}\nDELIMITER ;`;
}
