import path from 'node:path';
import { parseDatabaseUrl } from '../config/url.js';
import type { Connection, Dialect, LockOwner, MigrationLock } from '../dialects/dialect.js';
import { type DatabaseInput, openConnection } from '../dialects/open.js';
import { dialectNamed } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';
import { type FormatListing, listMigrations, type Uncovered } from '../formats/index.js';
import { runnerGone } from '../host.js';
import type { BackupPolicy } from './backup.js';
import type { EventListener } from './events.js';
import { type MigrationFile, parseSqlMigration } from './files.js';
import { DEFAULT_HISTORY_TABLE, History, type HistoryRow } from './history.js';

/** Options every engine function takes. */
export interface EngineOptions {
  /** A URL (see DESIGN.md), or an open better-sqlite3 Database, pg Pool or pg Client. */
  database: DatabaseInput;
  /** The migrations folder. Default `migrations`. */
  dir?: string;
  /**
   * The folder's layout: `dbmate` (dbdoctor's own), `prisma`, `drizzle`, `golang-migrate`,
   * `goose`, `sqlx`, `diesel` or `flyway`. Default: detected from the folder.
   */
  format?: string;
  /** History table name. Default `dbdoctor_migrations`. */
  historyTable?: string;
  /** How long to wait for another runner's lock, in ms. Default 30 s. */
  lockTimeoutMs?: number;
  /**
   * SQLite: how long the migration lock row stays valid without renewal, in ms. Default 30 s.
   * The holder renews it while it works; see {@link MigrationLock}.
   */
  lockLeaseMs?: number;
  /** PostgreSQL `lock_timeout` for each migration statement, in ms. Default 5 s. */
  statementLockTimeoutMs?: number;
  /** How many times a migration that hit `lock_timeout` is retried. Default 5. */
  lockRetries?: number;
  /** Base folder for a relative `dir` and SQLite path. Default the process's cwd. */
  cwd?: string;
  /** Receives progress events. */
  onEvent?: EventListener;
  /** Backups before `apply`/`down` on SQLite files. */
  backup?: BackupPolicy;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
export const DEFAULT_STATEMENT_LOCK_TIMEOUT_MS = 5_000;
export const DEFAULT_LOCK_RETRIES = 5;

/** A validated history table name. */
export function historyTableName(name: string | undefined): string {
  const table = name ?? DEFAULT_HISTORY_TABLE;
  if (table.length === 0 || table.length > 58 || table.includes('\0')) {
    throw new DbDoctorError('BAD_HISTORY_TABLE', `History table name "${table}" is not usable.`, {
      unchanged: 'Nothing was done.',
      hint: 'Use a name of 1 to 58 characters (it is always quoted, so any other character is fine).',
    });
  }
  return table;
}

/** An open database plus everything the engine needs about the project. */
export interface EngineSession {
  conn: Connection;
  files: MigrationFile[];
  /** Entries of the folder its layout does not cover (not run; the blocking ones stop earlier). */
  uncovered: Uncovered[];
  /** The folder's layout, as read. */
  format: string;
  history: History;
  lock: MigrationLock;
  options: EngineOptions;
  close(): Promise<void>;
}

/** Reads the migration files, then opens the database (files first: bad files change nothing). */
export async function openSession(
  options: EngineOptions,
  opts: { mustExist?: boolean } = {},
): Promise<EngineSession> {
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  const table = historyTableName(options.historyTable);
  const { files, uncovered, format } = readMigrationFiles(dir, options.format);
  const { conn, lock } = await openLocked(options, table, opts.mustExist);
  const history = new History(conn, table, await historySchemaOf(conn, table));
  return { conn, files, uncovered, format, history, lock, options, close: () => conn.close() };
}

/** The migration files of `dir`, with SQL section errors raised now, before any database is opened. */
function readMigrationFiles(dir: string, format: string | undefined): FormatListing {
  const listing = listMigrations(dir, format);
  for (const f of listing.files)
    if (f.kind === 'sql' && !f.sections) parseSqlMigration(f.text ?? '', path.basename(f.file));
  return listing;
}

/**
 * Opens the database for a runner and creates its migration lock. Another connection's write
 * lock met on any statement (SQLite's SQLITE_BUSY) means "not yet": it is waited out up to
 * the lock timeout, reported as a `lock-wait` event naming the lock's holder when one is known.
 */
export async function openLocked(
  options: Pick<EngineOptions, 'database' | 'cwd' | 'lockTimeoutMs' | 'lockLeaseMs' | 'onEvent'>,
  table: string,
  mustExist?: boolean,
): Promise<{ conn: Connection; lock: MigrationLock }> {
  let lock: MigrationLock | null = null;
  const conn = await openConnection(options.database, {
    cwd: options.cwd,
    mustExist,
    busyWait: {
      timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      onWait: () => {
        void lock
          ?.holder()
          .then((holder) => options.onEvent?.({ type: 'lock-wait', holder }))
          .catch(() => {});
      },
    },
  });
  lock = conn.dialect.createLock(conn, table, { leaseMs: options.lockLeaseMs });
  return { conn, lock };
}

/** The schema holding the history, resolved once; the connection is closed if that fails. */
async function historySchemaOf(conn: Connection, table: string): Promise<string> {
  try {
    return await conn.dialect.engine.historySchema(conn, table);
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
}

/** Runs `fn` holding the migration lock; always releases it. */
export async function withLock<T>(
  lock: MigrationLock,
  options: Pick<EngineOptions, 'lockTimeoutMs' | 'onEvent'>,
  fn: () => Promise<T>,
): Promise<T> {
  await lock.acquire(
    options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    (holder) => options.onEvent?.({ type: 'lock-wait', holder }),
    (previous) => options.onEvent?.({ type: 'lock-takeover', previous }),
  );
  options.onEvent?.({ type: 'lock-acquired' });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Opens a session, runs `fn`, and closes the session whatever happens. */
export async function usingSession<T>(
  options: EngineOptions,
  fn: (s: EngineSession) => Promise<T>,
  opts: { mustExist?: boolean } = {},
): Promise<T> {
  const session = await openSession(options, opts);
  try {
    return await fn(session);
  } catch (e) {
    // A raw driver error here is about the database itself (read-only, gone, full), not a bug.
    throw e instanceof DbDoctorError ? e : (session.conn.describeError(e) ?? e);
  } finally {
    await session.close();
  }
}

/** What a read-only command sees: the files, and the database as it is, or as empty when it does not exist. */
export interface ReadOnlyView {
  files: MigrationFile[];
  /** Entries of the folder its layout does not cover: reported, never skipped in silence. */
  uncovered: Uncovered[];
  /** The folder's layout, as read. */
  format: string;
  dialect: Dialect;
  /** The open database; null when it does not exist yet (it reads as empty, and is not created). */
  conn: Connection | null;
  /** The database, as shown to people (no password). */
  display: string;
  exists: boolean;
  /** Its history rows, oldest first (none when there is no history table). */
  rows: HistoryRow[];
  /**
   * Who holds the migration lock, read only when a row is started or reverting (is a runner
   * at it right now?); null otherwise, or when nobody holds it.
   */
  runner: LockOwner | null;
}

/**
 * Runs a read-only command (`apply --dry-run`, `lint`, `sql`, `status`): the database is
 * opened only when it exists, never created, and nothing is written to it (no history table,
 * no lock table). A database that does not exist yet (`DB_NOT_FOUND`: a SQLite file not made)
 * is seen as the empty database `apply` would start from.
 */
export async function readOnlyView<T>(
  options: EngineOptions,
  fn: (view: ReadOnlyView) => Promise<T>,
): Promise<T> {
  let opened = false;
  try {
    return await usingSession(
      options,
      async (session) => {
        opened = true;
        const rows = (await session.history.read()) ?? [];
        const { conn, files, uncovered, format } = session;
        const runner = await lockHolderIfUnsettled(session.lock, rows);
        return fn({
          files,
          uncovered,
          format,
          dialect: conn.dialect,
          conn,
          display: conn.display,
          exists: true,
          rows,
          runner,
        });
      },
      { mustExist: true },
    );
  } catch (e) {
    const absent = !opened && e instanceof DbDoctorError && e.code === 'DB_NOT_FOUND';
    if (!absent || typeof options.database !== 'string') throw e;
    // A server's database is never made by `apply`: saying what it would do there is a lie.
    if (!dialectNamed(parseDatabaseUrl(options.database, options.cwd).dialect).capabilities.createsDatabase)
      throw e;
  }
  const target = parseDatabaseUrl(options.database, options.cwd);
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  const { files, uncovered, format } = readMigrationFiles(dir, options.format);
  return fn({
    files,
    uncovered,
    format,
    dialect: dialectNamed(target.dialect),
    conn: null,
    display: target.display,
    exists: false,
    rows: [],
    runner: null,
  });
}

/**
 * The migration lock's holder when a history row is started or reverting, so a migration a
 * live runner is at is told apart from one a dead runner left part-way; null otherwise (one
 * query saved in the common case) or when it cannot be read.
 */
export async function lockHolderIfUnsettled(
  lock: MigrationLock,
  rows: readonly HistoryRow[],
): Promise<LockOwner | null> {
  if (!rows.some((r) => r.status === 'started' || r.status === 'reverting')) return null;
  const holder = await lock.holder().catch(() => null);
  return holder && runnerGone(holder) ? { ...holder, gone: true } : holder;
}
