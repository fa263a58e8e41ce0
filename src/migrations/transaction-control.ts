/**
 * Recognising statements that start, end or abandon a transaction, from the statements
 * `splitStatements` returns. dbdoctor runs a migration inside its own transaction together with
 * its history row; a `COMMIT` in the middle would commit half the work and leave the rest (and
 * the history row) outside any transaction, so such statements are found before anything runs.
 *
 * Grammar followed: SQLite "BEGIN / COMMIT / END / ROLLBACK" (sqlite.org/lang_transaction.html,
 * lang_savepoint.html) and PostgreSQL BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT,
 * PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED (postgresql.org/docs/current/sql-commands.html).
 */

/** What a transaction-control statement does. */
export type TransactionControlKind = 'begin' | 'commit' | 'rollback' | 'two-phase';

/** A transaction-control statement found at the start of a statement. */
export interface TransactionControl {
  kind: TransactionControlKind;
  /** The statement's leading keywords as written, e.g. `COMMIT` or `BEGIN IMMEDIATE`. */
  text: string;
  /** Offset of the first keyword within the statement (after leading comments), in characters. */
  offset: number;
}

/** Offset of the first character after leading whitespace and comments. */
function skipTrivia(sql: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else return i;
  }
}

/** The first `count` bare words of the statement (upper-cased) and where the first one starts. */
function leadingWords(sql: string, count: number): { words: string[]; offset: number; end: number } {
  const words: string[] = [];
  const offset = skipTrivia(sql, 0);
  let i = offset;
  let end = offset;
  while (words.length < count) {
    const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 64));
    if (!m) break;
    words.push(m[0].toUpperCase());
    end = i + m[0].length;
    i = skipTrivia(sql, end);
  }
  return { words, offset, end };
}

/**
 * The transaction control at the start of `statement`, or null when it is anything else.
 * `ROLLBACK … TO [SAVEPOINT]` (undoing to a savepoint) and PostgreSQL's `BEGIN ATOMIC` (a
 * function body, normally inside `CREATE FUNCTION`) are not transaction control; a SQLite
 * trigger's `BEGIN … END` is part of its `CREATE TRIGGER` statement, so it never starts one.
 */
export function transactionControl(statement: string): TransactionControl | null {
  const { words, offset, end } = leadingWords(statement, 4);
  const [first, second] = words;
  const found = (kind: TransactionControlKind): TransactionControl => ({
    kind,
    text: statement.slice(offset, end).replace(/\s+/g, ' '),
    offset,
  });
  // Optional noise words after COMMIT/END/ROLLBACK/ABORT: TRANSACTION (both) and WORK (PostgreSQL).
  const afterNoise = second === 'TRANSACTION' || second === 'WORK' ? words[2] : second;
  switch (first) {
    case 'BEGIN':
      return second === 'ATOMIC' ? null : found('begin');
    case 'START':
      return second === 'TRANSACTION' ? found('begin') : null;
    case 'COMMIT':
    case 'END':
      return afterNoise === 'PREPARED' ? found('two-phase') : found('commit');
    case 'ROLLBACK':
      if (afterNoise === 'TO') return null;
      return afterNoise === 'PREPARED' ? found('two-phase') : found('rollback');
    case 'ABORT':
      return found('rollback');
    case 'PREPARE':
      return second === 'TRANSACTION' ? found('two-phase') : null;
    default:
      return null;
  }
}

/** Where a transaction-control statement sits in a list of statements. */
export interface TransactionControlAt extends TransactionControl {
  /** Index of the statement in the list (0-based). */
  index: number;
}

/** The result of {@link unwrapTransaction}. */
export interface Unwrapped {
  /** The statements to run (without a whole-file BEGIN … COMMIT wrapper, if there was one). */
  statements: string[];
  /** The first transaction-control statement that remains, or null when there is none. */
  control: TransactionControlAt | null;
}

/**
 * Drops a wrapper that encloses every statement in one transaction (`BEGIN; …; COMMIT;`, as
 * files written for psql or sqlite3 often do): dbdoctor's own transaction takes its place, so
 * the file still runs all-or-nothing together with its history row. Reports any other
 * transaction control, which would end dbdoctor's transaction part-way.
 */
export function unwrapTransaction(statements: readonly string[]): Unwrapped {
  const controls: TransactionControlAt[] = [];
  for (const [index, s] of statements.entries()) {
    const c = transactionControl(s);
    if (c) controls.push({ ...c, index });
  }
  const last = statements.length - 1;
  const wrapped =
    controls.length === 2 &&
    controls[0]!.index === 0 &&
    controls[0]!.kind === 'begin' &&
    controls[1]!.index === last &&
    controls[1]!.kind === 'commit';
  if (wrapped) return { statements: statements.slice(1, last), control: null };
  return { statements: [...statements], control: controls[0] ?? null };
}
