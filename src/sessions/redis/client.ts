import { createHash } from 'node:crypto';
import { DbDoctorError, errorMessage } from '../../errors.js';

/**
 * What dbdoctor needs of a Redis client: node-redis's `sendCommand`. A node-redis client
 * (v4 or later) passed by the caller is used as it is and left open.
 */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
}

/** An open Redis connection for the session features; `close` closes only what was opened here. */
export interface RedisConnection {
  client: RedisCommander;
  /** Prefix of every key dbdoctor reads or writes. */
  prefix: string;
  /** `host:port` for messages (never the password). */
  display: string;
  close(): Promise<void>;
}

/** Default key prefix: every dbdoctor key on Redis starts with it. */
export const DEFAULT_REDIS_PREFIX = 'dbdoctor:';

/** True for `redis://` and `rediss://` URLs. */
export function isRedisUrl(input: unknown): input is string {
  return typeof input === 'string' && /^rediss?:\/\//i.test(input);
}

/** True for a caller's Redis client (anything with node-redis's `sendCommand`). */
export function isRedisClient(input: unknown): input is RedisCommander {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as RedisCommander).sendCommand === 'function' &&
    typeof (input as { query?: unknown }).query !== 'function'
  );
}

function badUrl(why: string): DbDoctorError {
  return new DbDoctorError('BAD_URL', `Invalid Redis URL: ${why}.`, {
    unchanged: 'Nothing was opened.',
    hint: 'Use redis://[user:password@]host[:port][/db][?prefix=myapp:] (rediss:// for TLS).',
  });
}

/**
 * Opens (or wraps) Redis: a `redis://` URL gets a node-redis client of its own (which must
 * answer at once: a wrong host is DB_UNREACHABLE at open, not a hang later), a caller's
 * client is used as it is. `?prefix=` in the URL sets the key prefix; `prefix` overrides it.
 */
export async function openRedis(input: string | RedisCommander, prefix?: string): Promise<RedisConnection> {
  if (typeof input !== 'string') {
    return {
      client: input,
      prefix: prefix ?? DEFAULT_REDIS_PREFIX,
      display: 'Redis (your client)',
      close: async () => {},
    };
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw badUrl('it does not parse as a URL');
  }
  const fromUrl = url.searchParams.get('prefix');
  url.searchParams.delete('prefix');
  const display = `${url.hostname || '127.0.0.1'}:${url.port || '6379'}${url.pathname.length > 1 ? url.pathname : ''}`;
  let redis: typeof import('redis');
  try {
    redis = await import('redis');
  } catch (e) {
    throw new DbDoctorError(
      'DRIVER_MISSING',
      'The Redis client (the npm package "redis") is not installed.',
      {
        unchanged: 'Nothing was opened.',
        hint: 'Install it next to dbdoctor: npm install redis',
        cause: e,
      },
    );
  }
  let opened = false;
  let lastError: unknown = null;
  const client = redis.createClient({
    url: url.toString(),
    // Commands while disconnected reject at once instead of waiting in a queue.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      // At open, two tries and then DB_UNREACHABLE; once open, reconnect for ever (backing off).
      reconnectStrategy: (retries: number, cause: Error) =>
        opened ? Math.min(50 * (retries + 1), 2000) : retries >= 1 ? cause : 100,
    },
  });
  // A connection error is reported by the command that meets it; without a listener Node would crash.
  client.on('error', (e: unknown) => {
    lastError = e;
  });
  try {
    await client.connect();
  } catch (e) {
    try {
      client.destroy();
    } catch {
      // already closed by the failed connect
    }
    throw new DbDoctorError(
      'DB_UNREACHABLE',
      `Cannot reach Redis at ${display}: ${errorMessage(lastError ?? e)}.`,
      {
        unchanged: 'Nothing was read or written.',
        hint: 'Check that Redis is running and the URL (host, port, password, database number) is right.',
        cause: e,
      },
    );
  }
  opened = true;
  return {
    client: client as unknown as RedisCommander,
    prefix: prefix ?? fromUrl ?? DEFAULT_REDIS_PREFIX,
    display,
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}

/** A Lua script run by its SHA1 (EVALSHA), loaded on first use or after a SCRIPT FLUSH. */
export class Script {
  private readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisCommander, keys: string[], args: (string | number)[]): Promise<unknown> {
    // One array, built once: EVALSHA, sha, numkeys, keys, args (every element a string).
    const command = new Array<string>(3 + keys.length + args.length);
    command[0] = 'EVALSHA';
    command[1] = this.sha;
    command[2] = String(keys.length);
    let i = 3;
    for (const k of keys) command[i++] = k;
    for (const a of args) command[i++] = typeof a === 'string' ? a : String(a);
    try {
      return await client.sendCommand(command);
    } catch (e) {
      if (!/NOSCRIPT/.test(errorMessage(e))) throw e;
      command[0] = 'EVAL';
      command[1] = this.source;
      return client.sendCommand(command);
    }
  }
}
