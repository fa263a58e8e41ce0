import { DbDoctorError } from '../errors.js';
import type { SessionStatus } from './types.js';

/**
 * A session as a backend stores it: the data as JSON text (checked and sized by the store
 * before any backend sees it), times as epoch milliseconds of the store's clock.
 */
export interface StoredSession {
  key: string;
  /** JSON text. PostgreSQL hands back its own (equivalent) rendering of the jsonb value. */
  data: string;
  status: SessionStatus;
  createdAt: number;
  lastActivity: number;
  expiresAt: number;
  ttlMs: number;
}

/** A backend's answer: a promise, or (memory, SQLite: synchronous underneath) the value itself. */
export type Answer<T> = T | Promise<T>;

/**
 * What one backend (memory, SQLite, PostgreSQL, Redis) does for a session store: single,
 * atomic steps on stored sessions. A backend that answers at once returns the value, not a
 * promise: the store then skips an await on its hot paths (get, touch, create). Everything a caller can observe (validation, expiry,
 * merge semantics, copies, errors) lives in the store above it, once for every backend.
 * Keys and values are always bound parameters or script arguments, never text in a query.
 */
export interface SessionBackend {
  /** A short name for messages: "memory", "SQLite", "PostgreSQL", "Redis". */
  readonly name: string;
  /** How many expired sessions one sweep step removes at most. */
  readonly sweepBatchSize: number;
  /** Creates or replaces the session. */
  put(session: StoredSession): Answer<void>;
  /** The stored session, expired or not, or undefined. */
  find(key: string): Answer<StoredSession | undefined>;
  /** Removes the session only if it expired by `now`. */
  removeIfExpired(key: string, now: number): Answer<void>;
  /**
   * Compare-and-set: when the session is unexpired at `now` and its data is still `expected`
   * (the text `find` returned), stores `data`, slides the expiry (with `ttlMs` as the new TTL
   * when given) and returns the session as stored; otherwise changes nothing and returns
   * undefined.
   */
  replaceData(
    key: string,
    expected: string,
    data: string,
    now: number,
    ttlMs: number | null,
  ): Answer<StoredSession | undefined>;
  /** Slides the expiry (new TTL and status when given) of an unexpired session; false if none. */
  slide(key: string, now: number, ttlMs: number | null, status: SessionStatus | null): Answer<boolean>;
  /** Removes the session; true when it was unexpired at `now`. */
  removeLive(key: string, now: number): Answer<boolean>;
  /** Removes up to `limit` sessions expired by `now`; `done` when no more are due. */
  sweepStep(now: number, limit: number): Answer<{ removed: number; done: boolean }>;
  /**
   * Sessions ordered by lastActivity descending, then key in code point order (UTF-8 byte
   * order), filtered by status and expiry, paged.
   */
  list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): Answer<StoredSession[]>;
  /** Number of sessions unexpired at `now`. */
  count(now: number): Answer<number>;
  clear(): Answer<void>;
  close(): Answer<void>;
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

/** How many expired sessions one SQL sweep statement deletes: bounded so no lock is held for long. */
export const SWEEP_BATCH = 5000;

/** The session tables are missing, or miss a later migration: say how to create them. */
export function missingTables(e: unknown): DbDoctorError {
  return new DbDoctorError(
    'SESSION_TABLES_MISSING',
    `The session tables do not exist in this database, or lack a later session migration (${(e as Error).message}).`,
    {
      unchanged: 'Nothing was changed.',
      hint: 'Create them once, in their own history namespace: `dbdoctor sessions install --url <url>` or `await installSessionTables({ database })`; or copy them into your migrations (`dbdoctor sessions copy --dir <migrations>`) and run `dbdoctor apply`.',
      cause: e,
    },
  );
}

/** Orders strings by code point (the UTF-8 byte order SQLite, PostgreSQL's "C" and Redis use). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only between a surrogate and U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
