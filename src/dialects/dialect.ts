import type { DbDoctorError } from '../errors.js';
import type { Schema } from '../schema/model.js';

/** Names of the supported database dialects. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/**
 * What a dialect can do. Code outside the dialect folders branches on these, never on the
 * dialect's name.
 */
export interface Capabilities {
  /** DDL runs inside transactions and rolls back with them. */
  readonly transactionalDdl: boolean;
  /** The database is a local file that can be copied with an online backup API. */
  readonly onlineBackup: boolean;
  /** Statements can wait for locks with a bounded `lock_timeout` and be retried. */
  readonly statementLockTimeout: boolean;
  /** Native enum types exist (`CREATE TYPE … AS ENUM`). */
  readonly enumTypes: boolean;
  /** `ALTER TABLE` can change a column's type, nullability or default in place. */
  readonly alterColumnInPlace: boolean;
}

/** A row returned by a query. */
export type Row = Record<string, unknown>;

/**
 * One open database connection, used serially. The SQLite driver is synchronous underneath;
 * this interface is async so both dialects look the same to the runner.
 */
export interface Connection {
  readonly dialect: Dialect;
  /** Runs one statement with bound parameters and returns its rows (empty for writes). */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Starts a transaction that takes the write lock at once where the dialect has one. */
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /**
   * Whether a transaction is open on this connection right now (also a failed one that still
   * needs its ROLLBACK). Lets the runner claim "rolled back" only when it was the one that
   * rolled back. Throws when the connection cannot tell (it is gone).
   */
  inTransaction(): Promise<boolean>;
  /**
   * Where the migration lock can be lost while held (SQLite's leased row): verifies this runner
   * still owns it, renewing the lease, and throws `LOCK_LOST` when it does not. Absent where the
   * lock cannot be lost while the connection lives (PostgreSQL's session advisory lock).
   */
  assertLockHeld?(): Promise<void>;
  /** Closes the connection if dbdoctor opened it; leaves a caller's connection open. */
  close(): Promise<void>;
  /** Where this connection points, for messages (passwords hidden). */
  readonly display: string;
  /** The database file for SQLite (null for in-memory or PostgreSQL). */
  readonly file: string | null;
  /**
   * The DbDoctorError for a driver error that is about the database's surroundings rather
   * than the SQL (read-only file, not a database, disk full, server gone, no such database,
   * login refused); null for any other error. Messages name {@link display}, never a password.
   */
  describeError(error: unknown): DbDoctorError | null;
}

/** Owner of a migration lock, for messages. */
export interface LockOwner {
  host: string;
  pid: number;
  since: string;
  /** Where the lock is a leased row: when the lease runs out unless renewed (ISO time). */
  expires?: string;
  detail?: string;
  /**
   * False when the owner is known to be gone (its row is stale and will be taken over): then
   * whatever keeps the lock from being taken is not this owner. Absent: taken to be live.
   */
  live?: boolean;
}

/** How a migration lock is held. */
export interface LockOptions {
  /**
   * Where the lock is a row (SQLite): how long it stays valid without renewal, in ms.
   * Default 30 s. Ignored where the server releases a dead session's lock (PostgreSQL).
   */
  leaseMs?: number;
}

/** The cross-process lock that lets one runner migrate a database at a time. */
export interface MigrationLock {
  /**
   * Waits up to `timeoutMs`; throws `LOCK_TIMEOUT` naming the holder after that. `onTakeover`
   * names a gone owner whose lock was taken over.
   */
  acquire(
    timeoutMs: number,
    onWait?: (owner: LockOwner | null) => void,
    onTakeover?: (previous: LockOwner) => void,
  ): Promise<void>;
  release(): Promise<void>;
  /** The current holder, or null. */
  holder(): Promise<LockOwner | null>;
}

/** The per-dialect SQL the migration engine needs. */
export interface EngineSql {
  /** Statements creating the history table if missing; `qualifiedName` is already quoted. */
  createHistory(qualifiedName: string): string[];
  /**
   * The schema (PostgreSQL: the one already holding a table named `table`, else
   * `current_schema()` when the session opens) or attached database (SQLite: `main`) that holds
   * dbdoctor's history, read once per session so that every bookkeeping statement names it
   * explicitly, whatever a migration does to the search path. Throws NO_HISTORY_SCHEMA when
   * there is none (an empty search_path at connect), HISTORY_AMBIGUOUS when several schemas
   * hold such a table.
   */
  historySchema(conn: Connection, table: string): Promise<string>;
  /**
   * Reads the session state a migration may change and the runner depends on (PostgreSQL:
   * every setting SET in the session, `role`, `session_authorization`; SQLite: attached
   * databases and the pragmas the runner relies on) and returns what puts it back, run after
   * each migration, also after a failure. Must be called outside a transaction.
   */
  captureSession(conn: Connection): Promise<() => Promise<void>>;
  /** The `n`th (1-based) bind parameter. */
  param(n: number): string;
  /** Timestamp value to store for "now" (an ISO string is passed as a parameter). */
  readonly nowParamCast: string;
  /** Statement bounding lock waits for the rest of the transaction or session; null where unsupported. */
  lockTimeout(ms: number, scope: 'transaction' | 'session'): string | null;
  /** Statement undoing a session-scope lockTimeout; null where unsupported. */
  readonly resetLockTimeout: string | null;
  /** SQLSTATE/message test: does this error mean "table does not exist"? */
  isMissingTable(error: unknown): boolean;
  /** Does this error mean a statement gave up waiting for a lock (retryable)? */
  isLockTimeout(error: unknown): boolean;
  /** A clearer account of a failed statement where the database's own message misleads, or null. */
  explainFailure?(error: unknown, statement: string): FailureExplanation | null;
  /**
   * A statement as errors may show it: secrets it writes (PostgreSQL `PASSWORD '…'` of CREATE
   * or ALTER ROLE) replaced by `'***'`. Absent where the dialect's SQL carries none.
   */
  maskSecrets?(sql: string): string;
}

/** What a dialect says about a failed statement, in place of the database's message. */
export interface FailureExplanation {
  /** Stable error code. */
  code: string;
  /** What went wrong, in words (without the file or statement, which the caller adds). */
  message: string;
  /** What to change. */
  hint: string;
  /** Text to find in the migration file, to name the line at fault. */
  needle: string;
}

/** Everything a dialect provides: capabilities plus role objects. */
export interface Dialect {
  readonly name: DialectName;
  readonly capabilities: Capabilities;
  /** Quotes an identifier so any name (even a hostile one) is taken literally. */
  quoteIdent(name: string): string;
  /** Quotes a string literal. */
  quoteLiteral(value: string): string;
  readonly engine: EngineSql;
  /**
   * Splits a script into statements following this database's own lexer and client (quotes,
   * comments, bodies with `;` inside), never throwing: unterminated text runs to the end.
   */
  splitStatements(script: string): string[];
  createLock(conn: Connection, historyTable: string, options?: LockOptions): MigrationLock;
  /** Online file backup and restore, where `capabilities.onlineBackup` is true. */
  readonly backup?: BackupSupport;
  /** Reads the live schema into the model. Read-only. */
  introspect(conn: Connection, options: IntrospectOptions): Promise<Schema>;
  /**
   * An empty throwaway database of this dialect, for replaying migrations (SQLite: in memory;
   * PostgreSQL: a new database on the server `conn` is connected to, dropped by `dispose`).
   * Unless `options.isolated`, statements whose effect would reach beyond the scratch database
   * (PostgreSQL: roles, tablespaces, other databases, ALTER SYSTEM) are skipped and listed.
   */
  createScratch(conn: Connection, options?: ScratchOptions): Promise<ScratchDatabase>;
  /** A short text naming the server build (part of the fingerprint cache key). */
  serverVersion(conn: Connection): Promise<string>;
  /** Dialect-specific health checks the doctor runs. */
  readonly health: HealthChecks;
  /**
   * Prepares `conn` for one transactional migration, outside any transaction: returns what must
   * run before its COMMIT and after its transaction ends, or null when the dialect needs
   * nothing (SQLite: foreign key enforcement off, and `foreign_key_check` before commit).
   */
  guardMigration(conn: Connection): Promise<MigrationGuard | null>;
  /** Statements that commit in phases, where the dialect has them (PostgreSQL CONCURRENTLY). */
  readonly phased?: PhasedStatements;
}

/** What a dialect does around a migration's transaction (see {@link Dialect.guardMigration}). */
export interface MigrationGuard {
  /**
   * Inside the transaction, just before COMMIT: throws a DbDoctorError when the migration
   * left the database in a state the dialect would otherwise have refused; returns warnings
   * (problems that were there before the migration).
   */
  beforeCommit(): Promise<string[]>;
  /** After COMMIT or ROLLBACK, outside the transaction: puts the connection's settings back. */
  restore(): Promise<void>;
}

/**
 * How a statement run outside a transaction behaves when it fails. `atomic`: it happened
 * entirely or not at all, so a retry is safe. `concurrent-index`: it may leave an invalid index,
 * so a retry is safe only once that index is dropped. `not-retryable`: it may have partly
 * happened in a way only a different statement completes.
 */
export type StatementKind = 'atomic' | 'concurrent-index' | 'not-retryable';

/** What a failed phased statement can leave behind, read from the catalog. */
export interface PhasedStatements {
  classify(sql: string): StatementKind;
  /** Quoted, schema-qualified names of every invalid (non-partitioned) index in the database. */
  invalidIndexes(conn: Connection): Promise<string[]>;
  /** The index a CREATE INDEX CONCURRENTLY statement names, if it exists and is invalid. */
  namedInvalidIndex(conn: Connection, sql: string): Promise<string | null>;
  /** A statement that drops an index without blocking writes. */
  dropIndexSql(qualifiedName: string): string;
}

/** What introspection reads. */
export interface IntrospectOptions {
  /** PostgreSQL schema (namespace). Default `public`. Ignored by SQLite. */
  schema?: string;
  /** Tables left out: dbdoctor's own history and lock tables. */
  exclude: string[];
  /**
   * A memo the caller keeps between introspections of the same connection (the doctor's
   * replay introspects after every migration); a dialect may reuse what did not change.
   */
  memo?: Map<string, unknown>;
}

/** How a scratch database is made. */
export interface ScratchOptions {
  /**
   * The server `conn` points at is a scratch server of its own (`--scratch-url`): statements
   * reaching beyond the scratch database may run there. Default false.
   */
  isolated?: boolean;
}

/** A statement the replay did not run because its effect would leave the scratch database. */
export interface SkippedStatement {
  statement: string;
  /** Why it reaches beyond the scratch database, in words. */
  reason: string;
}

/** A database that exists only while it is needed. */
export interface ScratchDatabase {
  conn: Connection;
  /** Closes and removes it; safe to call twice. */
  dispose(): Promise<void>;
  /** Statements not run so far (appended as they come; see {@link ScratchOptions.isolated}). */
  skipped: SkippedStatement[];
  /** Scratch databases of killed doctors removed before this one was made. */
  removedLeftovers: string[];
}

/** One problem a dialect health check found. */
export interface HealthIssue {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  fix?: string;
}

/** Dialect-specific checks the doctor runs after the migration checks. */
export interface HealthChecks {
  /** Each check returns the problems it found (none when healthy). */
  run(conn: Connection, options: { schema?: string }): Promise<HealthIssue[]>;
}

/** Progress of a backup or restore, in pages. */
export interface CopyProgress {
  totalPages: number;
  remainingPages: number;
}

/** Online backup of a live database file, and putting a copy back. */
export interface BackupSupport {
  /** Copies the live database into `destination` (a new file) and removes lock rows from the copy. */
  backup(
    conn: Connection,
    destination: string,
    lockTable: string,
    onProgress?: (p: CopyProgress) => void,
  ): Promise<void>;
  /**
   * Throws `BAD_BACKUP` unless `source` is a regular file holding a healthy database; never
   * opens anything but a regular file (opening a FIFO would wait for a writer forever).
   */
  verify(source: string): Promise<void>;
  /** Checks `source` (as {@link verify}), then copies it over the live one. */
  restore(conn: Connection, source: string, onProgress?: (p: CopyProgress) => void): Promise<void>;
  /** True when the database holds no schema object but the tables named in `ignore`. */
  isBlank(conn: Connection, ignore: readonly string[]): Promise<boolean>;
}
