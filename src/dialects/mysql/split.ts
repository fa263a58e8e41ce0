/*
 * Statement splitting for MySQL and MariaDB, following the mysql command-line client
 * (client/mysql.cc add_line) and the server's lexer (sql/sql_lex.cc):
 * - `#` comments and `-- ` comments (two dashes followed by whitespace, a control character or
 *   the end) run to the end of the line; `--x` is two minus signs.
 * - Block comments do not nest. `/*!…*​/` and `/*M!…*​/` are executable comments: the server runs
 *   their text, so they count as statement text (mysqldump writes whole statements in them).
 * - '…' and "…" strings take backslash escapes and doubled quotes; `…` identifiers double
 *   their backticks and take no escapes.
 * - `DELIMITER xx` at the start of a line, between statements, is a client command: statements
 *   then end at `xx` (anywhere outside quotes and comments), and `;` is plain text, until the next
 *   DELIMITER line. The DELIMITER lines themselves are not statements.
 * - With the `;` delimiter, the compound body of a stored program (CREATE PROCEDURE, FUNCTION,
 *   TRIGGER, EVENT) or of a MariaDB anonymous block (BEGIN NOT ATOMIC) is kept whole: BEGIN,
 *   CASE, and statement-position IF, LOOP, REPEAT, WHILE open a block that END closes (`END IF`,
 *   `END LOOP`, … close one), so a `;` inside it does not end the statement.
 */

interface Word {
  text: string;
  /** True for `(`-style punctuation and other single characters; false for words. */
  punct: boolean;
}

const SPACE = /[ \t\n\r\f\v]/;
const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;
const ROUTINE_KINDS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT']);
/** Words after which an IF, LOOP or REPEAT starts a statement (and so a block), not an expression. */
const STATEMENT_START = new Set([';', 'BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT', ':', 'ROW']);
const ENDED_BY_END_WORD = new Set(['IF', 'LOOP', 'REPEAT', 'WHILE', 'CASE']);

/** Tracks compound-statement depth inside one statement, token by token. */
class BodyTracker {
  private words: Word[] = [];
  private depth = 0;
  private routine = false;
  private afterEnd = false;

  reset(): void {
    this.words = [];
    this.depth = 0;
    this.routine = false;
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
    const prev = this.words.at(-1);
    this.words.push(token);
    if (!this.routine) {
      this.routine = this.startsRoutine();
      // BEGIN NOT ATOMIC is itself the block's BEGIN.
      if (this.routine && this.words[0]!.text === 'BEGIN') this.depth = 1;
      return;
    }
    if (token.punct) {
      this.afterEnd = false;
      return;
    }
    const word = token.text;
    if (this.afterEnd) {
      this.afterEnd = false;
      if (ENDED_BY_END_WORD.has(word)) return;
    }
    const atStatementStart = prev !== undefined && STATEMENT_START.has(prev.text);
    switch (word) {
      case 'BEGIN':
      case 'CASE':
        this.depth++;
        return;
      case 'WHILE':
        this.depth++;
        return;
      case 'IF':
      case 'REPEAT':
      case 'LOOP':
        if (atStatementStart && !(word !== 'LOOP' && groupHasComma())) this.depth++;
        return;
      case 'END':
        if (this.depth > 0) this.depth--;
        this.afterEnd = true;
        return;
    }
  }

  /** CREATE [OR REPLACE] [DEFINER = …] [AGGREGATE] PROCEDURE|FUNCTION|TRIGGER|EVENT, or BEGIN NOT ATOMIC. */
  private startsRoutine(): boolean {
    const w = this.words;
    if (w[0]?.text === 'BEGIN') return w.length >= 2 && w[1]!.text === 'NOT';
    if (w[0]?.text !== 'CREATE') return false;
    const last = w.at(-1)!;
    // Anything after the object kind is the routine's name and body; stop looking after 40 words.
    return !last.punct && ROUTINE_KINDS.has(last.text) && w.length <= 40 && !w.some((x) => x.text === '(');
  }
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
  let delimiter = ';';
  let start = 0;
  let hasToken = false;
  let i = 0;
  const finish = (end: number, next: number) => {
    if (hasToken) out.push(script.slice(start, end).trim());
    start = next;
    hasToken = false;
    body.reset();
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
    if (c === "'" || c === '"') {
      i = quotedEnd(script, i, c, true);
      hasToken = true;
      body.feed({ text: 'STRING', punct: false }, () => false);
      continue;
    }
    if (c === '`') {
      i = quotedEnd(script, i, '`', false);
      hasToken = true;
      body.feed({ text: 'IDENT', punct: false }, () => false);
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
      hasToken = true;
      i = j;
      if (delimiter === ';') body.feed({ text: word, punct: false }, () => groupHasComma(script, after));
      continue;
    }
    if (c === ';' && delimiter === ';' && !body.inBody) {
      finish(i, i + 1);
      i++;
      continue;
    }
    hasToken = true;
    if (delimiter === ';') body.feed({ text: c, punct: true }, () => false);
    i++;
  }
  if (hasToken) out.push(script.slice(start).trim());
  return out;
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
function isCommentSpace(ch: string | undefined): boolean {
  return ch === undefined || ch <= ' ';
}

/** End of the quoted text opening at `i` (a doubled quote stays inside; `\` escapes where allowed). */
function quotedEnd(script: string, i: number, quote: string, backslashEscapes: boolean): number {
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
function groupHasComma(script: string, from: number): boolean {
  let i = from;
  while (i < script.length && SPACE.test(script[i]!)) i++;
  if (script[i] !== '(') return false;
  let depth = 0;
  for (; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = quotedEnd(script, i, ch, ch !== '`') - 1;
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
