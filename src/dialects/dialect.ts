import type { Schema } from '../schema/model.js';

/** Names of the supported database dialects. */
export type DialectName = 'sqlite' | 'postgres';

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
  /** Closes the connection if dbdoctor opened it; leaves a caller's connection open. */
  close(): Promise<void>;
  /** Where this connection points, for messages (passwords hidden). */
  readonly display: string;
  /** The database file for SQLite (null for in-memory or PostgreSQL). */
  readonly file: string | null;
}

/** Owner of a migration lock, for messages. */
export interface LockOwner {
  host: string;
  pid: number;
  since: string;
  detail?: string;
}

/** The cross-process lock that lets one runner migrate a database at a time. */
export interface MigrationLock {
  /** Waits up to `timeoutMs`; throws `LOCK_TIMEOUT` naming the holder after that. */
  acquire(timeoutMs: number, onWait?: (owner: LockOwner | null) => void): Promise<void>;
  release(): Promise<void>;
  /** The current holder, or null. */
  holder(): Promise<LockOwner | null>;
}

/** The per-dialect SQL the migration engine needs. */
export interface EngineSql {
  /** Statements creating the history table if missing; `qualifiedName` is already quoted. */
  createHistory(qualifiedName: string): string[];
  /**
   * The schema (PostgreSQL: `current_schema()` when the session opens) or attached database
   * (SQLite: `main`) that holds dbdoctor's history, read once per session so that every
   * bookkeeping statement names it explicitly, whatever a migration does to the search path.
   * Throws NO_HISTORY_SCHEMA when there is none (an empty search_path at connect).
   */
  historySchema(conn: Connection): Promise<string>;
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
  createLock(conn: Connection, historyTable: string): MigrationLock;
  /** Online file backup and restore, where `capabilities.onlineBackup` is true. */
  readonly backup?: BackupSupport;
  /** Reads the live schema into the model. Read-only. */
  introspect(conn: Connection, options: IntrospectOptions): Promise<Schema>;
  /**
   * An empty throwaway database of this dialect, for replaying migrations (SQLite: in memory;
   * PostgreSQL: a new database on the server `conn` is connected to, dropped by `dispose`).
   */
  createScratch(conn: Connection): Promise<ScratchDatabase>;
  /** A short text naming the server build (part of the fingerprint cache key). */
  serverVersion(conn: Connection): Promise<string>;
  /** Dialect-specific health checks the doctor runs. */
  readonly health: HealthChecks;
  /** Statements that commit in phases, where the dialect has them (PostgreSQL CONCURRENTLY). */
  readonly phased?: PhasedStatements;
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

/** A database that exists only while it is needed. */
export interface ScratchDatabase {
  conn: Connection;
  /** Closes and removes it; safe to call twice. */
  dispose(): Promise<void>;
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
  /** Checks `source` is a healthy database file, then copies it over the live one. */
  restore(conn: Connection, source: string, onProgress?: (p: CopyProgress) => void): Promise<void>;
}
