import { parseDatabaseUrl } from '../config/url.js';
import type { Dialect, SessionDatabase } from '../dialects/dialect.js';
import type { DatabaseInput } from '../dialects/open.js';
import { dialectNamed, dialectOfHandle, registeredDialects } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';
import { RedisSessionBackend } from './redis/backend.js';
import { isRedisClient, isRedisUrl, openRedis, type RedisCommander } from './redis/client.js';
import { redisThrottleCounts } from './redis/throttle.js';

export type { SessionDatabase } from '../dialects/dialect.js';

/**
 * What a session store or throttle may be opened on: a URL (`sqlite:`, `postgres://`,
 * `redis://`), a driver handle of a dialect with session storage (a better-sqlite3 Database,
 * a pg Pool or Client), or a node-redis client.
 */
export type SessionDatabaseInput = Exclude<DatabaseInput, { dialect: unknown }> | RedisCommander;

/**
 * Opens (or wraps) the database for a session store or login throttle, then builds on it
 * with `build`; if building fails, whatever was opened here is closed again. A URL gets what
 * its dialect opens (a SQLite file, which must exist, or a pool of `poolSize`); a caller's
 * handle is left open.
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

/** The dialects with a session backend, in words, for messages ("SQLite or PostgreSQL"). */
function supported(): string {
  const names = registeredDialects()
    .filter((d) => d.sessions !== undefined)
    .map((d) => d.name);
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/**
 * The dialect's session storage; `BAD_DATABASE` naming the dialect (and `what`, where it
 * points) when it has none yet: never opened as another dialect.
 */
export function sessionStorageOf(dialect: Dialect, what: string) {
  if (dialect.sessions) return dialect.sessions;
  throw new DbDoctorError(
    'BAD_DATABASE',
    `Session stores and login throttles do not support ${dialect.name} (${what}) yet.`,
    {
      unchanged: 'Nothing was opened.',
      hint: `Use a ${supported()} database, or Redis, for sessions; migrations support every dialect.`,
    },
  );
}

async function openSessionDatabase(
  input: SessionDatabaseInput,
  options: SessionOpenOptions,
): Promise<SessionDatabase> {
  if (isRedisUrl(input) || isRedisClient(input)) {
    const redis = await openRedis(input, options.keyPrefix);
    return {
      sessionBackend: () => new RedisSessionBackend(redis.client, redis.prefix, redis.close),
      throttleBackend: () => redisThrottleCounts(redis.client, redis.prefix, redis.close),
      close: redis.close,
    };
  }
  if (typeof input !== 'string') {
    const dialect = dialectOfHandle(input);
    if (!dialect) {
      const handles = registeredDialects()
        .filter((d) => d.sessions !== undefined)
        .map((d) => d.handleDescription);
      throw new DbDoctorError('BAD_DATABASE', 'Unsupported database value for a session store or throttle.', {
        unchanged: 'Nothing was opened.',
        hint: `Pass a URL string, ${handles.join(', ')}, or a node-redis client.`,
      });
    }
    return sessionStorageOf(dialect, dialect.handleDescription).open({ handle: input }, options);
  }
  const target = parseDatabaseUrl(input, options.cwd);
  return sessionStorageOf(dialectNamed(target.dialect), target.display).open({ target }, options);
}
