/*
 * What a statement run in the doctor's scratch database may have changed, read from its leading
 * tokens, so the replay re-reads only that after each migration (introspect.ts). MySQL has no
 * event trigger and no per-table change stamp to ask the server with, so the text is all there
 * is; wherever the text does not say for certain, the answer is "everything".
 *
 * The tokens come from the splitter's lexer rules (split.ts: comments, quotes, backticks). A
 * statement is never matched as raw text. Things that make the tokens themselves uncertain send
 * the statement to a full read: an executable comment (its text runs on some servers only), a
 * backslash inside a quoted token (whether it escapes depends on the session's sql_mode), an
 * unterminated quote or comment.
 */
import { isCommentSpace, quotedEnd, SPACE, WORD } from './split.js';

/** What to read again. Names are as the statements wrote them; the reader compares them as the server does. */
export interface Touched {
  /** The statements may have changed something they do not name: read everything. */
  all: boolean;
  /** Tables and sequences created, changed or dropped. */
  relations: Set<string>;
  /** Tables whose triggers may have changed (dropped with the table, or replaced by CREATE OR REPLACE TABLE). */
  triggerTables: Set<string>;
  /** Every trigger. */
  triggers: boolean;
  /** Every view. */
  views: boolean;
  /** Every procedure and function. */
  routines: boolean;
  /** Every event. */
  events: boolean;
}

/** Nothing touched yet. */
export function noneTouched(): Touched {
  return {
    all: false,
    relations: new Set(),
    triggerTables: new Set(),
    triggers: false,
    views: false,
    routines: false,
    events: false,
  };
}

type TokenKind = 'word' | 'ident' | 'dquote' | 'string' | 'punct';

interface Token {
  kind: TokenKind;
  /** Upper-cased for words; the unquoted text for identifiers and strings; the character for punctuation. */
  text: string;
  /** A word's text as written. */
  raw: string;
}

/**
 * The tokens of one statement, or null when they cannot be known for certain (see the top of
 * this file).
 */
export function mysqlTokens(sql: string): Token[] | null {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && isCommentSpace(sql[i + 2]))) {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      if (sql[i + 2] === '!' || (sql[i + 2] === 'M' && sql[i + 3] === '!')) return null;
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) return null;
      i = close + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      // A space after the text tells a quote closing at the very end from an unterminated one.
      const end = quotedEnd(`${sql} `, i, c, false);
      if (end > n) return null;
      const inner = sql.slice(i + 1, end - 1);
      if (c !== '`' && inner.includes('\\')) return null;
      out.push({
        kind: c === '`' ? 'ident' : c === '"' ? 'dquote' : 'string',
        text: inner.split(c + c).join(c),
        raw: sql.slice(i, end),
      });
      i = end;
      continue;
    }
    if (WORD.test(c)) {
      let j = i + 1;
      while (j < n && WORD.test(sql[j]!)) j++;
      const raw = sql.slice(i, j);
      out.push({ kind: 'word', text: raw.toUpperCase(), raw });
      i = j;
      continue;
    }
    out.push({ kind: 'punct', text: c, raw: c });
    i++;
  }
  return out;
}

/** How the statement reader sees the database it runs in. */
export interface StatementContext {
  /** The current database (DATABASE()). */
  database: string;
  /** Whether a qualifier names the current database, compared as the server compares database names. */
  sameDatabase(qualifier: string): boolean;
}

/** Adds to `touched` what `sql`, run in `ctx.database`, may have changed. */
export function noteStatement(touched: Touched, sql: string, ctx: StatementContext): void {
  if (touched.all) return;
  const tokens = mysqlTokens(sql);
  if (tokens === null || !classify(tokens, touched, ctx)) touched.all = true;
}

/** Words that end an ALTER TABLE's certainty: they change, move or swap another table (or may). */
const ALTER_TABLE_ELSEWHERE = new Set(['RENAME', 'EXCHANGE', 'CONVERT', 'TABLE']);
/** Statements that change no schema object. */
const DATA_ONLY = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);
const TRANSACTION_CONTROL = new Set(['COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);

/** False when the statement is not one this reader knows for certain. */
function classify(t: Token[], touched: Touched, ctx: StatementContext): boolean {
  const r = new Reader(t, ctx);
  const first = r.word();
  if (first === null) return false;
  if (DATA_ONLY.has(first)) {
    // Rows of the server's own tables (mysql.proc, mysql.event on MariaDB) are routines and events.
    return !t.some(
      (x, i) => x.kind !== 'punct' && x.text.toLowerCase() === 'mysql' && t[i + 1]?.text === '.',
    );
  }
  if (first === 'SELECT') return !t.some((x) => x.kind === 'word' && x.text === 'INTO');
  if (first === 'SET') return !r.is('STATEMENT');
  // The introspection's own reads (SHOW CREATE TABLE, SHOW CREATE VIEW) pass through the log too.
  if (first === 'SHOW') return true;
  if (TRANSACTION_CONTROL.has(first)) return true;
  // START SLAVE/REPLICA would apply another server's changes; under sql_mode=ORACLE `BEGIN …
  // END` is a block of statements. Only the plain transaction starts are known.
  if (first === 'START') return r.is('TRANSACTION');
  if (first === 'BEGIN') return t.length === 1 || (t.length === 2 && r.is('WORK'));
  if (first === 'TRUNCATE') {
    r.take('TABLE');
    return r.relations(touched, false, false);
  }
  if (first === 'CREATE') return create(r, touched);
  if (first === 'ALTER') return alter(r, touched);
  if (first === 'DROP') return drop(r, touched);
  return false;
}

function create(r: Reader, touched: Touched): boolean {
  const replace = r.take('OR') ? r.take('REPLACE') : false;
  if (r.take('TEMPORARY')) return r.take('TABLE') && r.relations(touched, false, replace);
  if (r.take('TABLE')) return r.relations(touched, false, replace);
  if (r.take('SEQUENCE')) return r.relations(touched, false, false);
  r.take('ONLINE') || r.take('OFFLINE');
  if (r.take('UNIQUE') || r.take('FULLTEXT') || r.take('SPATIAL'))
    return r.take('INDEX') && r.indexTable(touched);
  if (r.take('INDEX')) return r.indexTable(touched);
  r.skipProgramPrefix();
  return programKind(r, touched);
}

function alter(r: Reader, touched: Touched): boolean {
  r.take('ONLINE');
  r.take('IGNORE');
  if (r.take('TABLE')) {
    r.takeIfExists();
    const name = r.name();
    if (name === null || !r.addRelation(touched, name, false)) return false;
    return !r.rest().some((x) => x.kind === 'word' && ALTER_TABLE_ELSEWHERE.has(x.text));
  }
  if (r.take('SEQUENCE')) {
    r.takeIfExists();
    const name = r.name();
    if (name === null || !r.addRelation(touched, name, false)) return false;
    return !r.rest().some((x) => x.kind === 'word' && x.text === 'RENAME');
  }
  r.skipProgramPrefix();
  return programKind(r, touched);
}

function drop(r: Reader, touched: Touched): boolean {
  if (r.take('TEMPORARY')) return r.take('TABLE') && r.relations(touched, true, true);
  if (r.take('TABLE') || r.take('TABLES')) return r.relations(touched, true, true);
  if (r.take('SEQUENCE')) return r.relations(touched, true, false);
  r.take('ONLINE') || r.take('OFFLINE');
  if (r.take('INDEX')) return r.indexTable(touched);
  return programKind(r, touched);
}

/** VIEW, TRIGGER, PROCEDURE, FUNCTION or EVENT next: each rereads its kind whole. */
function programKind(r: Reader, touched: Touched): boolean {
  const kind = r.word();
  switch (kind) {
    case 'VIEW':
      touched.views = true;
      return true;
    case 'TRIGGER':
      touched.triggers = true;
      return true;
    case 'PROCEDURE':
    case 'FUNCTION':
      touched.routines = true;
      return true;
    case 'EVENT':
      touched.events = true;
      return true;
    default:
      return false;
  }
}

/** A cursor over a statement's tokens. */
class Reader {
  private i = 0;

  constructor(
    private readonly t: Token[],
    private readonly ctx: StatementContext,
  ) {}

  /** True when the next token is the bare word `w` (not consumed). */
  is(w: string): boolean {
    const x = this.t[this.i];
    return x !== undefined && x.kind === 'word' && x.text === w;
  }

  /** Consumes the bare word `w` when it is next. */
  take(w: string): boolean {
    if (!this.is(w)) return false;
    this.i++;
    return true;
  }

  private takePunct(p: string): boolean {
    const x = this.t[this.i];
    if (x === undefined || x.kind !== 'punct' || x.text !== p) return false;
    this.i++;
    return true;
  }

  /** The next token's word, consumed; null when it is not a bare word. */
  word(): string | null {
    const x = this.t[this.i];
    if (x === undefined || x.kind !== 'word') return null;
    this.i++;
    return x.text;
  }

  rest(): Token[] {
    return this.t.slice(this.i);
  }

  takeIfExists(): void {
    if (this.is('IF')) {
      this.i++;
      this.take('NOT');
      this.take('EXISTS');
    }
  }

  /** One identifier: a bare word, a backticked name, or a "…" name (ANSI_QUOTES). */
  private ident(): string | null {
    const x = this.t[this.i];
    if (x === undefined || x.kind === 'punct' || x.kind === 'string') return null;
    this.i++;
    return x.kind === 'word' ? x.raw : x.text;
  }

  /** `name` or `db.name`; the database part is returned for the caller to judge. */
  name(): { db: string | null; name: string } | null {
    const first = this.ident();
    if (first === null) return null;
    if (!this.takePunct('.')) return { db: null, name: first };
    const second = this.ident();
    return second === null ? null : { db: first, name: second };
  }

  /** Records a table of this database; false for another database's (its effect here is unknown). */
  addRelation(touched: Touched, n: { db: string | null; name: string }, triggers: boolean): boolean {
    if (n.db !== null && !this.ctx.sameDatabase(n.db)) return false;
    touched.relations.add(n.name);
    if (triggers) touched.triggerTables.add(n.name);
    return true;
  }

  /**
   * `[IF [NOT] EXISTS] name[, name…]`, each a relation (with its triggers when `triggers`).
   * Only DROP takes a list.
   */
  relations(touched: Touched, list: boolean, triggers: boolean): boolean {
    this.takeIfExists();
    for (;;) {
      const n = this.name();
      if (n === null || !this.addRelation(touched, n, triggers)) return false;
      if (!list || !this.takePunct(',')) return true;
    }
  }

  /** `[IF [NOT] EXISTS] index_name … ON table`: the table (the first ON outside parentheses). */
  indexTable(touched: Touched): boolean {
    let depth = 0;
    for (; this.i < this.t.length; this.i++) {
      const x = this.t[this.i]!;
      if (x.kind === 'punct' && x.text === '(') depth++;
      else if (x.kind === 'punct' && x.text === ')') depth--;
      else if (depth === 0 && x.kind === 'word' && x.text === 'ON') {
        this.i++;
        const n = this.name();
        return n !== null && this.addRelation(touched, n, false);
      }
    }
    return false;
  }

  /**
   * Skips `[ALGORITHM = x] [DEFINER = user] [SQL SECURITY x] [AGGREGATE]` between CREATE/ALTER
   * and VIEW, TRIGGER, PROCEDURE, FUNCTION or EVENT.
   */
  skipProgramPrefix(): void {
    if (this.take('ALGORITHM')) {
      this.takePunct('=');
      this.i++;
    }
    if (this.take('DEFINER')) {
      this.takePunct('=');
      if (this.take('CURRENT_USER')) {
        if (this.takePunct('(')) this.takePunct(')');
      } else if (!this.take('CURRENT_ROLE')) {
        this.i++; // the user
        if (this.takePunct('@')) {
          this.i++; // the host, whose unquoted form may go on with `.`, `-` and `%`
          while (['.', '-', '%'].includes(this.t[this.i]?.text ?? '') && this.t[this.i]?.kind === 'punct')
            this.i += 2;
        }
      }
    }
    if (this.take('SQL')) {
      this.take('SECURITY');
      this.i++;
    }
    this.take('AGGREGATE');
  }
}
