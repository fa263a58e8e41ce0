import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { parseDuration } from '../config/duration.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { missingTables } from './backend.js';
import { type SessionDatabaseInput, withSessionDatabase } from './database.js';
import { redisThrottleCounts } from './redis/throttle.js';
import type { Ttl } from './types.js';
import { checkKey } from './validate.js';

/** Options of {@link openLoginThrottle}. */
export interface ThrottleOptions {
  /** Failures within any span of `window` that lock the key (1 to 10,000). Default 5. */
  maxFailures?: number;
  /** The sliding window failures are counted in. Default 15 minutes. */
  window?: Ttl;
  /** How long a key stays locked. Default 15 minutes. */
  lockFor?: Ttl;
  /** Milliseconds since the epoch; inject one in tests so they never sleep. Default Date.now. */
  clock?: () => number;
  cwd?: string;
  /** Redis: prefix of every key dbdoctor uses (default `dbdoctor:`, or the URL's `?prefix=`). */
  keyPrefix?: string;
}

/** Where a key stands. */
export interface ThrottleState {
  allowed: boolean;
  /** Failures in the window that ends now. */
  failures: number;
  /** Epoch ms until which the key is locked, or null. */
  lockedUntil: number | null;
  /** Milliseconds until it may try again (0 when allowed). */
  retryAfterMs: number;
}

/**
 * A login throttle whose counts live in the database, so every worker shares them (report
 * 003). The window slides exactly: the times of the latest `maxFailures` failures are kept;
 * the failure that makes `maxFailures` within the window locks the key for `lockFor`, and a
 * key is refused while locked or while its window holds `maxFailures` failures, so no span
 * of `window` ever holds more than `maxFailures` allowed failures.
 */
export interface LoginThrottle {
  /** Records one failure, atomically, and returns the state after it. */
  hit(key: string): Promise<ThrottleState>;
  /** The state without changing it. */
  check(key: string): Promise<ThrottleState>;
  /** Forgets the key (after a successful login). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The stored counts of one key: the latest failure times and the lock. */
export interface ThrottleCounts {
  times: number[];
  lockedUntil: number | null;
}

/** The rules, in one place: what each backend's single atomic step computes. */
export interface ThrottleRules {
  max: number;
  windowMs: number;
  lockMs: number;
}

/** Applies one failure at `now` to `before` (the SQLite step, and the model of the others). */
export function applyFailure(
  before: ThrottleCounts | undefined,
  now: number,
  rules: ThrottleRules,
): ThrottleCounts {
  const times = (before?.times ?? []).filter((t) => t > now - rules.windowMs);
  times.push(now);
  times.sort((a, b) => a - b);
  while (times.length > rules.max) times.shift();
  let lockedUntil = before?.lockedUntil ?? null;
  if (times.length >= rules.max && (lockedUntil === null || lockedUntil <= now))
    lockedUntil = now + rules.lockMs;
  return { times, lockedUntil };
}

/** How one backend stores counts; each method is one atomic step. */
export interface ThrottleBackend {
  readonly name: string;
  hit(key: string, now: number, rules: ThrottleRules): Promise<ThrottleCounts>;
  read(key: string): Promise<ThrottleCounts | undefined>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

function whole(value: unknown, what: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  throw new DbDoctorError(
    'BAD_OPTION',
    `${what} must be a whole number from ${min} to ${max} (got ${String(value)}).`,
    {
      unchanged: 'No throttle was opened.',
      hint: `Leave ${what} out for the default.`,
    },
  );
}

function positiveDuration(value: Ttl | undefined, what: string): number {
  const ms = parseDuration(value ?? '15m', what);
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new DbDoctorError(
      'BAD_DURATION',
      `Invalid ${what}: "${String(value)}" (it must be at least 1 ms).`,
      {
        unchanged: 'No throttle was opened.',
        hint: 'Use a positive number of milliseconds or a string like 15m.',
      },
    );
  }
  return ms;
}

class Throttle implements LoginThrottle {
  private readonly rules: ThrottleRules;
  private readonly clock: () => number;

  constructor(
    private readonly backend: ThrottleBackend,
    options: ThrottleOptions,
  ) {
    this.rules = {
      max: whole(options.maxFailures, 'maxFailures', 1, 10_000, 5),
      windowMs: positiveDuration(options.window, 'throttle window'),
      lockMs: positiveDuration(options.lockFor, 'throttle lock'),
    };
    // Read Date.now at each call (not once here), so a clock mocked later is seen too.
    this.clock = options.clock ?? (() => Date.now());
  }

  private async guard<R>(op: string, write: boolean, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof DbDoctorError) throw e;
      throw new DbDoctorError(
        'SESSION_STORE_FAILED',
        `The ${this.backend.name} login throttle failed during ${op}: ${errorMessage(e)}`,
        {
          unchanged: write
            ? 'The database did not confirm the change: it may or may not have been applied.'
            : 'Nothing was changed.',
          hint: `Check that the ${this.backend.name} server is reachable and the session tables are installed, then retry.`,
          cause: e,
        },
      );
    }
  }

  /**
   * A key is refused while it is locked, and while the window ending now already holds
   * `maxFailures` failures (so a lock shorter than the window never lets a span hold more);
   * it may try again when both have passed.
   */
  private state(counts: ThrottleCounts | undefined, now: number): ThrottleState {
    const { max, windowMs } = this.rules;
    const inWindow = (counts?.times ?? [])
      .filter((t) => t > now - windowMs && t <= now)
      .sort((a, b) => a - b);
    const lockedUntil = counts?.lockedUntil ?? null;
    const lockWait = lockedUntil !== null && lockedUntil > now ? lockedUntil - now : 0;
    const windowWait =
      inWindow.length >= max ? (inWindow[inWindow.length - max] as number) + windowMs - now : 0;
    const retryAfterMs = Math.max(lockWait, windowWait);
    return {
      allowed: retryAfterMs === 0,
      failures: inWindow.length,
      lockedUntil: retryAfterMs === 0 ? null : now + retryAfterMs,
      retryAfterMs,
    };
  }

  hit(key: string): Promise<ThrottleState> {
    return this.guard('hit', true, async () => {
      const k = checkKey(key);
      const now = this.clock();
      return this.state(await this.backend.hit(k, now, this.rules), now);
    });
  }

  check(key: string): Promise<ThrottleState> {
    return this.guard('check', false, async () => {
      const k = checkKey(key);
      const counts = await this.backend.read(k);
      return this.state(counts, this.clock());
    });
  }

  reset(key: string): Promise<void> {
    return this.guard('reset', true, async () => this.backend.reset(checkKey(key)));
  }

  close(): Promise<void> {
    return this.guard('close', false, () => this.backend.close());
  }
}

function sqliteThrottle(db: BetterSqlite3.Database, onClose: () => Promise<void>): ThrottleBackend {
  let read: BetterSqlite3.Statement;
  let write: BetterSqlite3.Statement;
  let reset: BetterSqlite3.Statement;
  try {
    read = db.prepare('SELECT failure_times, locked_until FROM dbdoctor_login_attempts WHERE key = ?');
    write = db.prepare(
      `INSERT INTO dbdoctor_login_attempts (key, failures, window_start, locked_until, failure_times) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
         locked_until = excluded.locked_until, failure_times = excluded.failure_times`,
    );
    reset = db.prepare('DELETE FROM dbdoctor_login_attempts WHERE key = ?');
  } catch (e) {
    throw missingTables(e);
  }
  const get = (key: string): ThrottleCounts | undefined => {
    const row = read.get(key) as { failure_times: string; locked_until: number | null } | undefined;
    return row && { times: JSON.parse(row.failure_times) as number[], lockedUntil: row.locked_until };
  };
  // Read and write in one BEGIN IMMEDIATE: better-sqlite3 is synchronous, so this is atomic
  // across every process sharing the file.
  const hit = db.transaction((key: string, now: number, rules: ThrottleRules) => {
    const after = applyFailure(get(key), now, rules);
    write.run(key, after.times.length, after.times[0] ?? now, after.lockedUntil, JSON.stringify(after.times));
    return after;
  });
  return {
    name: 'SQLite',
    hit: async (key, now, rules) => hit.immediate(key, now, rules),
    read: async (key) => get(key),
    reset: async (key) => void reset.run(key),
    close: onClose,
  };
}

// One statement per hit: under the row's lock, the latest failure times (newer than the
// window, at most max, plus this one) and the lock are computed from the row as it is.
const PG_KEPT = `(SELECT coalesce(array_agg(t ORDER BY t), '{}') FROM (
    SELECT t FROM unnest(a.failure_times || $2::bigint) AS t WHERE t > $2::bigint - $3::bigint ORDER BY t DESC LIMIT $4::int) AS recent)`;
const PG_HIT = `
INSERT INTO dbdoctor_login_attempts AS a (key, failures, window_start, locked_until, failure_times)
VALUES ($1, 1, $2::bigint, CASE WHEN 1 >= $4::int THEN $2::bigint + $5::bigint END, ARRAY[$2::bigint])
ON CONFLICT (key) DO UPDATE SET
  failure_times = ${PG_KEPT},
  failures = cardinality(${PG_KEPT}),
  window_start = coalesce((${PG_KEPT})[1], $2::bigint),
  locked_until = CASE
    WHEN cardinality(${PG_KEPT}) >= $4::int AND (a.locked_until IS NULL OR a.locked_until <= $2::bigint)
      THEN $2::bigint + $5::bigint
    ELSE a.locked_until END
RETURNING failure_times, locked_until`;

function postgresThrottle(db: Pick<pg.Pool, 'query'>, onClose: () => Promise<void>): ThrottleBackend {
  const q = async (name: string, text: string, values: unknown[]) => {
    try {
      return await db.query<{ failure_times: string[]; locked_until: string | null } & pg.QueryResultRow>({
        name,
        text,
        values,
      });
    } catch (e) {
      if ((e as { code?: string }).code === '42P01' || (e as { code?: string }).code === '42703')
        throw missingTables(e);
      throw e;
    }
  };
  const counts = (row: { failure_times: string[]; locked_until: string | null } | undefined) =>
    row && {
      times: row.failure_times.map(Number),
      lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    };
  return {
    name: 'PostgreSQL',
    hit: async (key, now, rules) =>
      counts(
        (await q('dbdoctor_throttle_hit2', PG_HIT, [key, now, rules.windowMs, rules.max, rules.lockMs]))
          .rows[0],
      ) as ThrottleCounts,
    read: async (key) =>
      counts(
        (
          await q(
            'dbdoctor_throttle_read2',
            'SELECT failure_times, locked_until FROM dbdoctor_login_attempts WHERE key = $1',
            [key],
          )
        ).rows[0],
      ),
    reset: async (key) =>
      void (await q('dbdoctor_throttle_reset', 'DELETE FROM dbdoctor_login_attempts WHERE key = $1', [key])),
    close: onClose,
  };
}

/**
 * Opens a login throttle on a URL (`sqlite:`, `postgres://`, `redis://`), a better-sqlite3
 * Database, a pg Pool/Client or a node-redis client.
 */
export async function openLoginThrottle(
  database: SessionDatabaseInput,
  options: ThrottleOptions = {},
): Promise<LoginThrottle> {
  return withSessionDatabase(
    database,
    { cwd: options.cwd, poolSize: 5, applicationName: 'dbdoctor throttle', keyPrefix: options.keyPrefix },
    (opened) => {
      const backend =
        opened.dialect === 'sqlite'
          ? sqliteThrottle(opened.db, opened.close)
          : opened.dialect === 'postgres'
            ? postgresThrottle(opened.pool, opened.close)
            : redisThrottleCounts(opened.redis.client, opened.redis.prefix, opened.close);
      return new Throttle(backend, options);
    },
  );
}
