/** Where a session is in its lifecycle. */
export type SessionStatus = 'active' | 'completed' | 'abandoned';

/** A JSON value: what session data may hold (no undefined, functions, BigInt, NaN, Dates). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Session data: a JSON object. */
export type SessionData = { [key: string]: JsonValue };

/** One session. Times are epoch milliseconds from the store's clock. */
export interface Session<T extends SessionData = SessionData> {
  key: string;
  data: T;
  status: SessionStatus;
  createdAt: number;
  lastActivity: number;
  expiresAt: number;
  /** The sliding time-to-live, in ms: each interaction sets `expiresAt` to now + ttl. */
  ttlMs: number;
}

/** A TTL: milliseconds, or a string like `30m`, `30d`. */
export type Ttl = number | string;

/** Why {@link SessionStore.validate} says a session cannot be used. */
export type InvalidReason = 'not_found' | 'expired' | 'completed' | 'abandoned';

/** The answer of {@link SessionStore.validate}. */
export type Validation<T extends SessionData> =
  | { valid: true; session: Session<T> }
  | { valid: false; reason: InvalidReason; session: Session<T> | null };

/** Options every store takes. */
export interface StoreOptions {
  /** TTL when `create` is given none. Default 30 minutes. */
  defaultTtl?: Ttl;
  /** Largest accepted data, as UTF-8 bytes of its JSON text. Default 64 KiB. */
  maxDataBytes?: number;
  /** Milliseconds since the epoch; inject one in tests so they never sleep. Default Date.now. */
  clock?: () => number;
}

/** Filters for {@link SessionStore.list}. */
export interface ListOptions {
  status?: SessionStatus;
  /** Include expired sessions not swept yet. Default false. */
  includeExpired?: boolean;
  /** At most this many. Default 1000 on every backend. */
  limit?: number;
  /** Skip this many first. Default 0. */
  offset?: number;
}

/** Options of {@link SessionStore.sweep}. */
export interface SweepOptions {
  /**
   * Called after each batch with the number removed so far, and awaited: a caller can report
   * progress or pace a long sweep. No batch is open (no lock is held) while it runs.
   */
  onBatch?: (removedSoFar: number) => void | Promise<void>;
}

/** Options of {@link SessionStore.update} and {@link SessionStore.touch}. */
export interface SlideOptions {
  /** A new sliding TTL for the session (kept for later interactions); default: its own. */
  ttl?: Ttl;
}

/**
 * Expiring sessions keyed by a string. Every backend (memory, SQLite, PostgreSQL, Redis) has
 * the same semantics, checked by one shared contract test suite:
 * - keys, data and TTLs are checked the same way before any backend sees them (no NUL, no
 *   lone UTF-16 surrogate, size counted as UTF-8 bytes of the JSON text);
 * - every method returns a promise and reports every failure by rejecting it, never by
 *   throwing; a driver error arrives as a DbDoctorError (SESSION_STORE_FAILED) with the cause;
 * - callers get their own copies: changing a returned session changes nothing stored;
 * - `create` replaces any session with the same key;
 * - `get`, `update`, `touch`, `complete`, `abandon` act only on unexpired sessions, and each
 *   but `get` is an interaction that slides `expiresAt` to now + ttl (reading is not
 *   activity; call `touch`);
 * - an expired session is gone: `get` returns null and removes it;
 * - `update` merges the patch into the data's top-level keys atomically (compare-and-set on
 *   the stored data, retried), so concurrent updates of different keys all keep their change
 *   (same key: last wins); it returns null, never an error, when the session is gone.
 */
export interface SessionStore<T extends SessionData = SessionData> {
  /** Creates (or replaces) a session; without a key, generates 256 random bits, URL-safe. */
  create(key: string | null | undefined, data: T, options?: { ttl?: Ttl }): Promise<Session<T>>;
  /** The session, or null when there is none or it expired (an expired one is removed). */
  get(key: string): Promise<Session<T> | null>;
  /** Merges `patch` into the data and slides the expiry; null when there is no live session. */
  update(key: string, patch: Partial<T>, options?: SlideOptions): Promise<Session<T> | null>;
  /** Slides the expiry to now + ttl; false when there is no live session. */
  touch(key: string, options?: SlideOptions): Promise<boolean>;
  /** Marks the session completed (it stays readable until it expires). */
  complete(key: string): Promise<boolean>;
  /** Marks the session abandoned (it stays readable until it expires). */
  abandon(key: string): Promise<boolean>;
  /** Whether the session can be used, and if not why. */
  validate(key: string): Promise<Validation<T>>;
  /** Removes the session; false when there was no live session. */
  delete(key: string): Promise<boolean>;
  /** Removes every expired session in bounded batches, yielding between them; returns how many. */
  sweep(options?: SweepOptions): Promise<number>;
  /** Sessions for admin views, most recently active first (ties: by key, in code point order). */
  list(options?: ListOptions): Promise<Session<T>[]>;
  /** Number of unexpired sessions. */
  count(): Promise<number>;
  /** Removes every session. */
  clear(): Promise<void>;
  /** Releases timers and connections the store opened itself. */
  close(): Promise<void>;
}
