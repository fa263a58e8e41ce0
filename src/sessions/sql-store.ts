import { DbDoctorError } from '../errors.js';
import { type SessionDatabaseInput, withSessionDatabase } from './database.js';
import { judge, newSession, type StoreSettings, storeSettings } from './lifecycle.js';
import { PostgresSessionBackend } from './postgres-backend.js';
import { type SessionBackend, SWEEP_BATCH } from './sql-backend.js';
import { SqliteSessionBackend } from './sqlite-backend.js';
import type {
  ListOptions,
  Session,
  SessionData,
  SessionStore,
  StoreOptions,
  Ttl,
  Validation,
} from './types.js';
import { checkData, checkKey } from './validate.js';

/** Options of {@link SqlSessionStore}. */
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
}

/**
 * Sessions in a SQLite or PostgreSQL database, in the `dbdoctor_sessions` table that the
 * session migrations create. Open with {@link openSessionStore}.
 */
export class SqlSessionStore<T extends SessionData = SessionData> implements SessionStore<T> {
  private readonly settings: StoreSettings;

  constructor(
    private readonly backend: SessionBackend,
    options: StoreOptions = {},
  ) {
    this.settings = storeSettings(options);
  }

  async create(key: string | null | undefined, data: T, options: { ttl?: Ttl } = {}): Promise<Session<T>> {
    const session = newSession(key, data, options.ttl, this.settings);
    await this.backend.upsert(session);
    return session;
  }

  async get(key: string): Promise<Session<T> | null> {
    const row = await this.backend.find(checkKey(key));
    if (!row) return null;
    const now = this.settings.clock();
    if (row.expiresAt <= now) {
      await this.backend.deleteIfExpired(row.key, now);
      return null;
    }
    return row as Session<T>;
  }

  async update(key: string, patch: Partial<T>): Promise<Session<T> | null> {
    checkKey(key);
    checkData(patch as SessionData, this.settings.maxBytes);
    const now = this.settings.clock();
    const row = await this.backend.merge(key, patch as Record<string, unknown>, now, this.settings.maxBytes);
    if (row) return row as Session<T>;
    const existing = await this.backend.find(key);
    if (existing && existing.expiresAt > now) {
      // The row is there and live, so only the size limit can have refused the merge.
      throw new DbDoctorError(
        'SESSION_DATA_TOO_LARGE',
        `Session data would exceed ${this.settings.maxBytes} bytes of JSON after this update.`,
        {
          unchanged: 'The session was not changed.',
          hint: 'Keep large values elsewhere and store their ids, or raise maxDataBytes when opening the store.',
        },
      );
    }
    return null;
  }

  touch(key: string): Promise<boolean> {
    return this.backend.slide(checkKey(key), this.settings.clock(), null);
  }

  complete(key: string): Promise<boolean> {
    return this.backend.slide(checkKey(key), this.settings.clock(), 'completed');
  }

  abandon(key: string): Promise<boolean> {
    return this.backend.slide(checkKey(key), this.settings.clock(), 'abandoned');
  }

  async validate(key: string): Promise<Validation<T>> {
    const row = (await this.backend.find(checkKey(key))) as Session<T> | undefined;
    const now = this.settings.clock();
    const verdict = judge(row, now);
    if (!verdict.valid && verdict.reason === 'expired') await this.backend.deleteIfExpired(key, now);
    return verdict;
  }

  delete(key: string): Promise<boolean> {
    return this.backend.remove(checkKey(key));
  }

  async sweep(): Promise<number> {
    const now = this.settings.clock();
    let total = 0;
    for (;;) {
      const n = await this.backend.sweepBatch(now, SWEEP_BATCH);
      total += n;
      if (n < SWEEP_BATCH) return total;
    }
  }

  async list(options: ListOptions = {}): Promise<Session<T>[]> {
    const rows = await this.backend.list(
      this.settings.clock(),
      options.status ?? null,
      options.includeExpired ?? false,
      options.limit ?? 1000,
      options.offset ?? 0,
    );
    return rows as Session<T>[];
  }

  count(): Promise<number> {
    return this.backend.count(this.settings.clock());
  }

  clear(): Promise<void> {
    return this.backend.clear();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

/**
 * Opens a session store on a database: a URL (dbdoctor opens and later closes the
 * connection or pool), an open better-sqlite3 Database, or a pg Pool or Client (left open).
 * The session tables must exist: see `installSessionTables`.
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
    },
    (opened) =>
      new SqlSessionStore<T>(
        opened.dialect === 'sqlite'
          ? new SqliteSessionBackend(opened.db, opened.close)
          : new PostgresSessionBackend(opened.pool, opened.close),
        options,
      ),
  );
}
