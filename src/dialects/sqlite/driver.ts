import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { Connection, Dialect, Row } from '../dialect.js';

const require = createRequire(import.meta.url);

/** Default time a statement waits for another connection's write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * How a runner's connection treats SQLITE_BUSY / SQLITE_LOCKED ("another connection holds the
 * write lock"): as "not yet". A statement that may be retried is retried with backoff until
 * `timeoutMs` has passed since the first refusal, then fails with `LOCK_TIMEOUT`.
 */
export interface BusyWait {
  /** The most a statement waits in total, in ms (the runner's `--lock-timeout`). */
  timeoutMs: number;
  /** Called once per wait, when the first refusal is seen (to report who is holding it). */
  onWait?: () => void;
}

/**
 * SQLITE_BUSY (another connection holds a conflicting file lock) and SQLITE_LOCKED (a
 * conflict inside a shared cache), including their extended codes (SQLITE_BUSY_SNAPSHOT, …):
 * https://www.sqlite.org/rescode.html#busy
 */
export function isSqliteBusy(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

/** The error a runner gets after waiting `timeoutMs` for SQLite's write lock. */
export function busyTimeout(file: string, timeoutMs: number, cause: unknown): DbDoctorError {
  return new DbDoctorError(
    'LOCK_TIMEOUT',
    `Another connection held the write lock on SQLite database ${file} for more than ${timeoutMs} ms (${errorMessage(cause)}).`,
    {
      unchanged: 'The statement that needed the lock did not run; nothing more was changed.',
      hint: 'Find the process keeping a write transaction open on that file (fuser/lsof), let it finish, and try again; or raise --lock-timeout.',
      cause,
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** better-sqlite3's Database type. */
export type SqliteDatabase = BetterSqlite3.Database;

/** Options for opening a SQLite file. */
export interface SqliteOpenOptions {
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Refuse to create the file when it does not exist. */
  mustExist?: boolean;
}

/** Loads better-sqlite3 only when a SQLite database is actually opened. */
function loadDriver(): typeof BetterSqlite3 {
  return require('better-sqlite3') as typeof BetterSqlite3;
}

/** Opens a SQLite file (or `:memory:`). Never changes the journal mode. */
export function openSqliteDatabase(file: string, opts: SqliteOpenOptions = {}): SqliteDatabase {
  const Database = loadDriver();
  try {
    return new Database(file, {
      timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      readonly: opts.readonly ?? false,
      fileMustExist: opts.mustExist ?? false,
    });
  } catch (e) {
    throw new DbDoctorError('DB_UNREACHABLE', `Cannot open SQLite database ${file}: ${errorMessage(e)}`, {
      unchanged: 'Nothing was changed.',
      hint: 'Check that the folder exists and is writable, and that the file is a SQLite database.',
      cause: e,
    });
  }
}

/** A Connection over a better-sqlite3 Database. */
export class SqliteConnection implements Connection {
  readonly display: string;
  readonly file: string | null;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** How SQLITE_BUSY is waited out; null: it is thrown as the driver reports it. */
  busyWait: BusyWait | null = null;
  /**
   * Runs inside every transaction this connection commits, just before COMMIT, so what it
   * writes commits atomically with the transaction (the migration lock renews its lease here).
   */
  beforeCommit: (() => void) | null = null;

  constructor(
    readonly db: SqliteDatabase,
    readonly dialect: Dialect,
    private readonly owned: boolean,
  ) {
    this.file = db.memory ? null : db.name;
    this.display = db.memory ? 'sqlite::memory:' : `sqlite:${db.name}`;
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 200) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs `op`, waiting out SQLITE_BUSY while `retryable` says a retry is safe. SQLite's rule
   * (https://www.sqlite.org/lang_transaction.html): a statement outside an explicit
   * transaction, BEGIN, and COMMIT may be retried; any other statement inside a transaction
   * may not, so that error is thrown and the caller rolls back.
   */
  private async waitingWhileBusy<T>(op: () => T, retryable: () => boolean): Promise<T> {
    let started: number | null = null;
    let delay = 20;
    for (;;) {
      try {
        return op();
      } catch (e) {
        if (!this.busyWait || !isSqliteBusy(e) || !retryable()) throw e;
        const now = Date.now();
        if (started === null) {
          started = now;
          this.busyWait.onWait?.();
        }
        const left = started + this.busyWait.timeoutMs - now;
        if (left <= 0) throw busyTimeout(this.file ?? this.display, this.busyWait.timeoutMs, e);
        await sleep(Math.min(delay, left));
        delay = Math.min(delay * 2, 250);
      }
    }
  }

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.waitingWhileBusy(
      () => this.querySync<R>(sql, params),
      () => !this.db.inTransaction,
    );
  }

  /** Synchronous form, for code that must not yield between statements. */
  querySync<R extends Row = Row>(sql: string, params: readonly unknown[] = []): R[] {
    const stmt = this.prepare(sql);
    const bound = params.map(toSqliteValue);
    if (stmt.reader) return stmt.all(...bound) as R[];
    stmt.run(...bound);
    return [];
  }

  async exec(sql: string): Promise<void> {
    // Outside a transaction each statement of a script commits by itself, so a script that
    // failed part-way must not run again from the start: only a single statement is retried.
    await this.waitingWhileBusy(
      () => this.db.exec(sql),
      () => !this.db.inTransaction && this.isOneStatement(sql),
    );
  }

  private isOneStatement(sql: string): boolean {
    try {
      this.db.prepare(sql);
      return true;
    } catch {
      return false; // more than one statement (or one that no longer prepares): do not retry
    }
  }

  async begin(): Promise<void> {
    // IMMEDIATE takes the write lock now, so two writers never deadlock upgrading a read lock.
    await this.waitingWhileBusy(
      () => this.db.exec('BEGIN IMMEDIATE'),
      () => true,
    );
  }

  async commit(): Promise<void> {
    this.beforeCommit?.();
    // A COMMIT refused with SQLITE_BUSY leaves the transaction open and may be retried.
    await this.waitingWhileBusy(
      () => this.db.exec('COMMIT'),
      () => true,
    );
  }

  async rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.owned && this.db.open) this.db.close();
  }
}

function toSqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (v === undefined) return null;
  return v;
}
