import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { BusyWait, Connection, Dialect, OpenOptions, Row } from '../dialect.js';
import { missingPackageError } from '../optional-package.js';
import type { SqliteTarget } from './url.js';

export type { BusyWait } from '../dialect.js';

const require = createRequire(import.meta.url);

/** Default time a statement waits for another connection's write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** How long SQLite's own handler waits on a statement the runner can retry itself, in ms. */
export const RETRYABLE_BUSY_MS = 50;

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

/** Loads better-sqlite3 only when a SQLite database is actually opened; DRIVER_MISSING without it. */
function loadDriver(file: string): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (e) {
    throw missingPackageError(e, 'better-sqlite3', {
      code: 'DRIVER_MISSING',
      message: `Cannot open SQLite database ${file}: the SQLite driver`,
      unchanged: 'No database was opened.',
    });
  }
}

/**
 * Opens a SQLite file (or `:memory:`). Never changes the journal mode. Reads the file's
 * header at once, so a file that is not a SQLite database is reported here (`DB_NOT_SQLITE`)
 * rather than by whichever statement happens to come first. A file that cannot be opened is
 * `DB_UNREACHABLE`, naming the reason (folder missing, path is a folder).
 */
export function openSqliteDatabase(file: string, opts: SqliteOpenOptions = {}): SqliteDatabase {
  const Database = loadDriver(file);
  let db: SqliteDatabase;
  try {
    db = new Database(file, {
      timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      readonly: opts.readonly ?? false,
      fileMustExist: opts.mustExist ?? false,
    });
  } catch (e) {
    throw cannotOpen(file, e);
  }
  try {
    db.pragma('schema_version');
  } catch (e) {
    const described = describeSqliteError(e, file);
    // Anything else (a busy lock) is met again, and explained, by the caller's first statement.
    if (described === null) return db;
    db.close();
    throw described;
  }
  return db;
}

function cannotOpen(file: string, e: unknown): DbDoctorError {
  const why = whyUnopenable(file) ?? errorMessage(e);
  return new DbDoctorError('DB_UNREACHABLE', `Cannot open SQLite database ${file}: ${why}.`, {
    unchanged: 'Nothing was changed and no file was created.',
    hint: 'Check --url / DATABASE_URL: the folder must exist and be writable, and the path must name a file.',
    cause: e,
  });
}

/**
 * True when nothing is at `file` (ENOENT). Any other reason the path cannot be looked at
 * (ENOTDIR, ELOOP, EACCES) is DB_UNREACHABLE naming it, not "does not exist": a symlink loop
 * is there, and must not be reported as a database yet to be created.
 */
export function sqliteFileMissing(file: string): boolean {
  try {
    return fs.statSync(file, { throwIfNoEntry: false }) === undefined;
  } catch (e) {
    throw cannotOpen(file, e);
  }
}

/** The file-system reason a path cannot be opened as a database file, when there is one. */
function whyUnopenable(file: string): string | null {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch (e) {
    // ENOTDIR (a path component is a file), ELOOP (a symlink loop), EACCES: the path itself is the reason.
    return pathProblem(e) ?? errorMessage(e);
  }
  if (stat?.isDirectory()) return 'it is a folder, not a file';
  if (stat && !stat.isFile()) return 'it is not a regular file';
  const parent = path.dirname(file);
  let parentIsFolder = false;
  try {
    parentIsFolder = fs.statSync(parent, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch (e) {
    if (!stat) return pathProblem(e) ?? errorMessage(e);
  }
  if (!stat && !parentIsFolder) {
    return `the folder ${parent} does not exist`;
  }
  return null;
}

/** Plain words for a file-system error code met while resolving a database path, or null. */
export function pathProblem(e: unknown): string | null {
  switch ((e as { code?: unknown })?.code) {
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ELOOP':
      return 'the path has a symbolic link loop';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied on the path';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return null;
  }
}

/**
 * A DbDoctorError for SQLite result codes that describe the file or the disk rather than the
 * SQL (https://sqlite.org/rescode.html); null for any other error.
 */
export function describeSqliteError(e: unknown, file: string, openedReadonly = false): DbDoctorError | null {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const said = errorMessage(e);
  const rolledBack = 'Nothing was written: SQLite rolls back the statement that failed.';
  if (code.startsWith('SQLITE_READONLY')) {
    return new DbDoctorError('DB_READONLY', `SQLite database ${file} cannot be written (${said}).`, {
      unchanged: rolledBack,
      hint: openedReadonly
        ? 'The URL opens it read-only (?mode=ro); remove ?mode=ro to run a command that writes.'
        : 'Make the file and its folder writable by this user (SQLite writes a journal beside the file); read-only commands (status, history, doctor, schema) work as they are.',
      cause: e,
    });
  }
  if (code === 'SQLITE_NOTADB') {
    return new DbDoctorError('DB_NOT_SQLITE', `${file} is not a SQLite database (${said}).`, {
      unchanged: 'The file was not changed.',
      hint: 'Check --url / DATABASE_URL names the right file; a SQLite database starts with "SQLite format 3".',
      cause: e,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new DbDoctorError('DB_CORRUPT', `SQLite database ${file} is damaged (${said}).`, {
      unchanged: rolledBack,
      hint: `Restore a backup (dbdoctor restore FILE), or salvage it with: sqlite3 ${file} .recover`,
      cause: e,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new DbDoctorError('DB_FULL', `SQLite database ${file} cannot grow: the disk is full (${said}).`, {
      unchanged: rolledBack,
      hint: 'Free disk space on the volume that holds the database, then run the command again.',
      cause: e,
    });
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) {
    return new DbDoctorError(
      'DB_IO_ERROR',
      `SQLite database ${file} could not be read or written (${said}).`,
      {
        unchanged: rolledBack,
        hint: 'Check the disk, the file and folder permissions, and that the file is not on a network share without locking.',
        cause: e,
      },
    );
  }
  return null;
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
  /** Set by the migration lock while held: renews its lease, throwing LOCK_LOST once it is not ours. */
  lockCheck: (() => void) | null = null;

  constructor(
    readonly db: SqliteDatabase,
    readonly dialect: Dialect,
    private readonly owned: boolean,
  ) {
    this.file = db.memory ? null : db.name;
    this.display = db.memory ? 'sqlite::memory:' : `sqlite:${db.name}${db.readonly ? '?mode=ro' : ''}`;
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

  /** The busy timeout set on the connection now (ms), or null before dbdoctor set one. */
  private busyTimeoutNow: number | null = null;

  /**
   * SQLite's own busy handler sleeps inside the statement, where nothing else runs (no lock-wait
   * event, no deadline): so a statement that may be retried waits there only briefly and this
   * loop does the waiting, with events, up to the runner's deadline. A statement inside a
   * transaction cannot be retried, so it keeps the whole deadline in SQLite's handler (a large
   * write that must wait for readers to finish then still succeeds).
   */
  private setBusyTimeout(retryable: boolean): void {
    if (!this.busyWait) return;
    const ms = retryable ? Math.min(RETRYABLE_BUSY_MS, this.busyWait.timeoutMs) : this.busyWait.timeoutMs;
    if (ms === this.busyTimeoutNow) return;
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
    this.busyTimeoutNow = ms;
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
        this.setBusyTimeout(retryable());
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
    const values = params.map(toSqliteValue);
    const run = (args: unknown[]): R[] => {
      if (stmt.reader) return stmt.all(...args) as R[];
      stmt.run(...args);
      return [];
    };
    try {
      return run(values);
    } catch (e) {
      // Binding is checked before anything runs, so a refused bind can be retried by number.
      if (!(e instanceof RangeError) || values.length === 0) throw e;
      try {
        return run([numbered(values)]);
      } catch {
        throw e; // neither way binds: the first error says why
      }
    }
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

  async assertLockHeld(): Promise<void> {
    this.lockCheck?.();
  }

  async inTransaction(): Promise<boolean> {
    return this.db.inTransaction;
  }

  describeError(error: unknown): DbDoctorError | null {
    return describeSqliteError(error, this.file ?? ':memory:', this.db.readonly);
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

/**
 * `values` bound by number: PostgreSQL-style `$1` is, to SQLite, a named parameter called `$1`,
 * which better-sqlite3 binds from the key `1`. So one parameterized statement in a function
 * migration runs on both dialects.
 */
function numbered(values: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(values.map((v, i) => [String(i + 1), v]));
}

function withBusyWait(conn: SqliteConnection, busyWait: BusyWait | undefined): SqliteConnection {
  conn.busyWait = busyWait ?? null;
  return conn;
}

/**
 * Opens the file of a parsed SQLite URL. A file that does not exist is `DB_NOT_FOUND` when the
 * caller said it must exist or the URL's mode is not `rwc`; no file is created then.
 */
export function openSqlite(dialect: Dialect, target: SqliteTarget, opts: OpenOptions): SqliteConnection {
  if ((opts.mustExist || target.mode !== 'rwc') && !target.memory && sqliteFileMissing(target.file)) {
    throw new DbDoctorError('DB_NOT_FOUND', `SQLite database ${target.file} does not exist.`, {
      unchanged: 'No file was created.',
      hint: 'Check --url / DATABASE_URL, or run `dbdoctor apply` to create and migrate it.',
    });
  }
  const db = openSqliteDatabase(target.file, {
    // A runner that waits for locks itself must not sleep inside SQLite while opening.
    busyTimeoutMs: opts.busyWait ? Math.min(RETRYABLE_BUSY_MS, opts.busyWait.timeoutMs) : opts.busyTimeoutMs,
    readonly: target.mode === 'ro',
    mustExist: target.mode !== 'rwc',
  });
  return withBusyWait(new SqliteConnection(db, dialect, true), opts.busyWait);
}

/** Whether `x` is a better-sqlite3 Database. */
export function isBetterSqlite(x: unknown): x is BetterSqlite3.Database {
  return typeof x === 'object' && x !== null && 'prepare' in x && 'pragma' in x && 'backup' in x;
}

/** Wraps a caller's better-sqlite3 Database (left open on close). */
export function wrapSqlite(
  dialect: Dialect,
  db: BetterSqlite3.Database,
  opts: OpenOptions,
): SqliteConnection {
  return withBusyWait(new SqliteConnection(db, dialect, false), opts.busyWait);
}
