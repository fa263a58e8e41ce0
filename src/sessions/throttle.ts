import { parseDuration } from '../config/duration.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import type { ThrottleBackend, ThrottleCounts, ThrottleRules } from './backend.js';
import { type SessionDatabaseInput, withSessionDatabase } from './database.js';
import type { Ttl } from './types.js';
import { checkKey } from './validate.js';

export type { ThrottleBackend, ThrottleCounts, ThrottleRules } from './backend.js';

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

/**
 * Opens a login throttle on a URL (`sqlite:`, `postgres://`, `redis://`), a driver handle of
 * a dialect with session storage (a better-sqlite3 Database, a pg Pool or Client) or a
 * node-redis client.
 */
export async function openLoginThrottle(
  database: SessionDatabaseInput,
  options: ThrottleOptions = {},
): Promise<LoginThrottle> {
  return withSessionDatabase(
    database,
    { cwd: options.cwd, poolSize: 5, applicationName: 'dbdoctor throttle', keyPrefix: options.keyPrefix },
    (opened) => new Throttle(opened.throttleBackend(), options),
  );
}
