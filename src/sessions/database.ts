import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { parseDatabaseUrl } from '../config/url.js';
import '../dialects/builtin.js';
import type { DatabaseInput } from '../dialects/open.js';
import { connectPostgres, isPgHandle } from '../dialects/postgres/driver.js';
import type { PostgresTarget } from '../dialects/postgres/url.js';
import { isBetterSqlite, openSqliteDatabase } from '../dialects/sqlite/driver.js';
import type { SqliteTarget } from '../dialects/sqlite/url.js';
import { DbDoctorError } from '../errors.js';
import {
  isRedisClient,
  isRedisUrl,
  openRedis,
  type RedisCommander,
  type RedisConnection,
} from './redis/client.js';

/**
 * What a session store or throttle may be opened on: a URL (`sqlite:`, `postgres://`,
 * `redis://`), a better-sqlite3 Database, a pg Pool or Client, or a node-redis client.
 */
export type SessionDatabaseInput = Exclude<DatabaseInput, { dialect: unknown }> | RedisCommander;

/** An open handle for the session features; `close` closes only what was opened here. */
export type SessionDatabase =
  | { dialect: 'sqlite'; db: BetterSqlite3.Database; close: () => Promise<void> }
  | { dialect: 'postgres'; pool: Pick<pg.Pool, 'query'>; close: () => Promise<void> }
  | { dialect: 'redis'; redis: RedisConnection; close: () => Promise<void> };

/**
 * Opens (or wraps) the database for a session store or login throttle, then builds on it
 * with `build`; if building fails, whatever was opened here is closed again. A URL gets a
 * SQLite file (which must exist) or a pg Pool of `poolSize`; a caller's handle is left open.
 */
export async function withSessionDatabase<R>(
  input: SessionDatabaseInput,
  options: SessionOpenOptions,
  build: (database: SessionDatabase) => R,
): Promise<R> {
  const database = await openSessionDatabase(input, options);
  try {
    return build(database);
  } catch (e) {
    await database.close();
    throw e;
  }
}

/** How {@link withSessionDatabase} opens a URL. */
export interface SessionOpenOptions {
  cwd?: string;
  poolSize: number;
  applicationName: string;
  busyTimeoutMs?: number;
  /** Redis: prefix of every key (default `dbdoctor:`, or the URL's `?prefix=`). */
  keyPrefix?: string;
}

async function openSessionDatabase(
  input: SessionDatabaseInput,
  options: SessionOpenOptions,
): Promise<SessionDatabase> {
  const keepOpen = async () => {};
  if (isRedisUrl(input) || isRedisClient(input)) {
    const redis = await openRedis(input, options.keyPrefix);
    return { dialect: 'redis', redis, close: redis.close };
  }
  if (typeof input !== 'string') {
    if (isBetterSqlite(input))
      return { dialect: 'sqlite', db: input as BetterSqlite3.Database, close: keepOpen };
    if (isPgHandle(input)) return { dialect: 'postgres', pool: input as pg.Pool, close: keepOpen };
    throw new DbDoctorError('BAD_DATABASE', 'Unsupported database value for a session store or throttle.', {
      unchanged: 'Nothing was opened.',
      hint: 'Pass a URL string, a better-sqlite3 Database, a pg Pool or Client, or a node-redis client.',
    });
  }
  const parsed = parseDatabaseUrl(input, options.cwd);
  if (parsed.dialect === 'sqlite') {
    const target = parsed as SqliteTarget;
    const db = openSqliteDatabase(target.file, {
      mustExist: !target.memory,
      readonly: target.mode === 'ro',
      busyTimeoutMs: options.busyTimeoutMs,
    });
    return { dialect: 'sqlite', db, close: async () => void db.close() };
  }
  // Only SQLite and PostgreSQL have session backends so far: any other dialect is refused, never
  // opened as PostgreSQL.
  if (parsed.dialect !== 'postgres')
    throw new DbDoctorError(
      'BAD_DATABASE',
      `Session stores and login throttles do not support ${parsed.dialect} (${parsed.display}) yet.`,
      {
        unchanged: 'Nothing was opened.',
        hint: 'Use a SQLite or PostgreSQL database for sessions; migrations support every dialect.',
      },
    );
  const target = parsed as PostgresTarget;
  // Connect once up front, so a wrong URL is the same DbDoctorError as for migrations, at open.
  await (await connectPostgres(target)).end();
  const pgModule = await import('pg');
  const { Pool } = (pgModule.default ?? pgModule) as typeof pg;
  const pool = new Pool({
    connectionString: target.connectionString,
    max: options.poolSize,
    application_name: options.applicationName,
  });
  // An idle client whose server goes away emits 'error'; without a listener Node would crash.
  pool.on('error', () => {});
  return { dialect: 'postgres', pool, close: () => pool.end() };
}
