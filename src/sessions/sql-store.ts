import { type SessionDatabaseInput, withSessionDatabase } from './database.js';
import { BackendStore } from './store.js';
import type { SessionData, StoreOptions } from './types.js';

/** Options of {@link openSessionStore}. */
export interface SqlStoreOptions extends StoreOptions {
  /** Base folder for a relative SQLite path. */
  cwd?: string;
  /** Connections in the pool dbdoctor opens for a PostgreSQL URL. Default 10. */
  poolSize?: number;
  /**
   * Milliseconds a statement on a SQLite URL waits for another connection's write lock
   * before SQLITE_BUSY (SQLite's busy_timeout, https://sqlite.org/c3ref/busy_timeout.html).
   */
  busyTimeoutMs?: number;
  /** Redis: prefix of every key dbdoctor uses (default `dbdoctor:`, or the URL's `?prefix=`). */
  keyPrefix?: string;
}

/** Sessions in a database: the one store, over the SQLite, PostgreSQL or Redis backend. */
export class SqlSessionStore<T extends SessionData = SessionData> extends BackendStore<T> {}

/**
 * Opens a session store on a database: a URL (`sqlite:`, `postgres://`, `redis://`; dbdoctor
 * opens and later closes the connection, pool or client), an open better-sqlite3 Database,
 * a pg Pool or Client, or a node-redis client (left open). SQL databases need the session
 * tables: see `installSessionTables`. Redis needs nothing installed.
 */
export async function openSessionStore<T extends SessionData = SessionData>(
  database: SessionDatabaseInput,
  options: SqlStoreOptions = {},
): Promise<SqlSessionStore<T>> {
  return withSessionDatabase(
    database,
    {
      cwd: options.cwd,
      poolSize: options.poolSize ?? 10,
      applicationName: 'dbdoctor sessions',
      busyTimeoutMs: options.busyTimeoutMs,
      keyPrefix: options.keyPrefix,
    },
    (opened) => new SqlSessionStore<T>(opened.sessionBackend(), options),
  );
}
