import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { parseDatabaseUrl } from '../config/url.js';
import type { DatabaseInput } from '../dialects/open.js';
import { openSqliteDatabase } from '../dialects/sqlite/driver.js';
import { DbDoctorError } from '../errors.js';
import { PostgresSessionBackend } from './postgres-backend.js';
import { type SessionBackend, type SessionRow, SWEEP_BATCH } from './sql-backend.js';
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
import {
  checkData,
  checkKey,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_TTL_MS,
  generateKey,
  ttlMs,
} from './validate.js';

/** Options of {@link SqlSessionStore}. */
export interface SqlStoreOptions extends StoreOptions {
  /** Base folder for a relative SQLite path. */
  cwd?: string;
  /** Connections in the pool dbdoctor opens for a PostgreSQL URL. Default 10. */
  poolSize?: number;
}

/**
 * Sessions in a SQLite or PostgreSQL database, in the `dbdoctor_sessions` table that the
 * session migrations create. Open with {@link openSessionStore}.
 */
export class SqlSessionStore<T extends SessionData = SessionData> implements SessionStore<T> {
  private readonly clock: () => number;
  private readonly defaultTtlMs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly backend: SessionBackend,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.defaultTtlMs = ttlMs(options.defaultTtl, DEFAULT_TTL_MS);
    this.maxBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
  }

  async create(key: string | null | undefined, data: T, options: { ttl?: Ttl } = {}): Promise<Session<T>> {
    const k = key == null ? generateKey() : checkKey(key);
    checkData(data, this.maxBytes);
    const ttl = options.ttl === undefined ? this.defaultTtlMs : ttlMs(options.ttl, this.defaultTtlMs);
    const now = this.clock();
    const row: SessionRow = {
      key: k,
      data,
      status: 'active',
      createdAt: now,
      lastActivity: now,
      expiresAt: now + ttl,
      ttlMs: ttl,
    };
    await this.backend.upsert(row);
    return row as Session<T>;
  }

  async get(key: string): Promise<Session<T> | null> {
    const row = await this.backend.find(checkKey(key));
    if (!row) return null;
    const now = this.clock();
    if (row.expiresAt <= now) {
      await this.backend.deleteIfExpired(row.key, now);
      return null;
    }
    return row as Session<T>;
  }

  async update(key: string, patch: Partial<T>): Promise<Session<T> | null> {
    checkKey(key);
    checkData(patch as SessionData, this.maxBytes);
    const now = this.clock();
    const row = await this.backend.merge(key, patch as Record<string, unknown>, now, this.maxBytes);
    if (row) return row as Session<T>;
    const existing = await this.backend.find(key);
    if (existing && existing.expiresAt > now) {
      // The row is there and live, so only the size limit can have refused the merge.
      throw new DbDoctorError(
        'SESSION_DATA_TOO_LARGE',
        `Session data would exceed ${this.maxBytes} bytes of JSON after this update.`,
        {
          unchanged: 'The session was not changed.',
          hint: 'Keep large values elsewhere and store their ids, or raise maxDataBytes when opening the store.',
        },
      );
    }
    return null;
  }

  touch(key: string): Promise<boolean> {
    return this.backend.slide(checkKey(key), this.clock(), null);
  }

  complete(key: string): Promise<boolean> {
    return this.backend.slide(checkKey(key), this.clock(), 'completed');
  }

  abandon(key: string): Promise<boolean> {
    return this.backend.slide(checkKey(key), this.clock(), 'abandoned');
  }

  async validate(key: string): Promise<Validation<T>> {
    const row = (await this.backend.find(checkKey(key))) as Session<T> | undefined;
    if (!row) return { valid: false, reason: 'not_found', session: null };
    const now = this.clock();
    if (row.expiresAt <= now) {
      await this.backend.deleteIfExpired(row.key, now);
      return { valid: false, reason: 'expired', session: row };
    }
    if (row.status !== 'active') return { valid: false, reason: row.status, session: row };
    return { valid: true, session: row };
  }

  delete(key: string): Promise<boolean> {
    return this.backend.remove(checkKey(key));
  }

  async sweep(): Promise<number> {
    const now = this.clock();
    let total = 0;
    for (;;) {
      const n = await this.backend.sweepBatch(now, SWEEP_BATCH);
      total += n;
      if (n < SWEEP_BATCH) return total;
    }
  }

  async list(options: ListOptions = {}): Promise<Session<T>[]> {
    const rows = await this.backend.list(
      this.clock(),
      options.status ?? null,
      options.includeExpired ?? false,
      options.limit ?? 1000,
      options.offset ?? 0,
    );
    return rows as Session<T>[];
  }

  count(): Promise<number> {
    return this.backend.count(this.clock());
  }

  clear(): Promise<void> {
    return this.backend.clear();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

function isBetterSqlite(x: unknown): x is BetterSqlite3.Database {
  return typeof x === 'object' && x !== null && 'prepare' in x && 'pragma' in x;
}

function isPgPool(x: unknown): x is pg.Pool {
  return typeof x === 'object' && x !== null && 'totalCount' in x && 'query' in x;
}

/**
 * Opens a session store on a database: a URL (dbdoctor opens and later closes the
 * connection or pool), an open better-sqlite3 Database, or a pg Pool or Client (left open).
 * The session tables must exist: see `installSessionTables`.
 */
export async function openSessionStore<T extends SessionData = SessionData>(
  database: Exclude<DatabaseInput, { dialect: unknown }>,
  options: SqlStoreOptions = {},
): Promise<SqlSessionStore<T>> {
  if (typeof database === 'string') {
    const target = parseDatabaseUrl(database, options.cwd);
    if (target.dialect === 'sqlite') {
      const db = openSqliteDatabase(target.file, { mustExist: !target.memory });
      try {
        return new SqlSessionStore<T>(
          new SqliteSessionBackend(db, async () => {
            db.close();
          }),
          options,
        );
      } catch (e) {
        db.close();
        throw e;
      }
    }
    const pgModule = await import('pg');
    const { Pool } = (pgModule.default ?? pgModule) as typeof pg;
    const pool = new Pool({
      connectionString: target.connectionString,
      max: options.poolSize ?? 10,
      application_name: 'dbdoctor sessions',
    });
    pool.on('error', () => {});
    return new SqlSessionStore<T>(new PostgresSessionBackend(pool, () => pool.end()), options);
  }
  if (isBetterSqlite(database)) {
    return new SqlSessionStore<T>(new SqliteSessionBackend(database, async () => {}), options);
  }
  if (isPgPool(database) || (typeof database === 'object' && database !== null && 'query' in database)) {
    return new SqlSessionStore<T>(new PostgresSessionBackend(database as pg.Pool, async () => {}), options);
  }
  throw new DbDoctorError('BAD_DATABASE', 'Unsupported database value for a session store.', {
    unchanged: 'No store was opened.',
    hint: 'Pass a URL string, a better-sqlite3 Database, a pg Pool or a pg Client.',
  });
}
