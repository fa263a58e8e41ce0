import { DbDoctorError } from '../errors.js';
import { compareCodePoints, type SessionBackend, type StoredSession } from './backend.js';
import { ExpiryBuckets, type Queued } from './expiry-buckets.js';
import { BackendStore } from './store.js';
import type { SessionData, SessionStatus, StoreOptions } from './types.js';

/** Options of the {@link MemoryStore}. */
export interface MemoryStoreOptions extends StoreOptions {
  /** At most this many sessions; the least recently used go first. Default unbounded. */
  maxSessions?: number;
  /** Sweep expired sessions this often (ms). The timer never keeps the process alive. */
  sweepIntervalMs?: number;
}

/** A stored session: the data is JSON text, so nobody can change it but the store. */
interface Entry extends StoredSession, Queued {}

/** How many sessions one memory sweep step removes before it yields to the event loop. */
const MEMORY_SWEEP_BATCH = 10_000;

/**
 * Sessions in process memory: a Map (in least-recently-used order when bounded) of entries
 * holding their data as JSON text, as express-session's own MemoryStore does, so every
 * caller gets its own copy and the store holds only what was saved. Expiry goes through
 * {@link ExpiryBuckets}, which holds each live entry exactly once: memory is bounded by the
 * live sessions (and `maxSessions`), however often keys are replaced or deleted.
 */
export class MemoryBackend implements SessionBackend {
  readonly name = 'memory';
  readonly sweepBatchSize = MEMORY_SWEEP_BATCH;
  /** Exposed for the memory-bound tests: the entries and their expiry queue. */
  readonly sessions = new Map<string, Entry>();
  readonly due = new ExpiryBuckets<Entry>((e) => e.expiresAt);
  private readonly keepsLruOrder: boolean;

  constructor(private readonly maxSessions: number) {
    this.keepsLruOrder = Number.isFinite(maxSessions);
  }

  /** The entry (moved to most recently used when bounded), or undefined. */
  private use(key: string): Entry | undefined {
    const e = this.sessions.get(key);
    if (e !== undefined && this.keepsLruOrder) {
      this.sessions.delete(key);
      this.sessions.set(key, e);
    }
    return e;
  }

  private drop(e: Entry): void {
    this.due.remove(e);
    this.sessions.delete(e.key);
  }

  put(s: StoredSession): void {
    const old = this.sessions.get(s.key);
    if (old !== undefined) {
      // Replaced in place: the same entry, moved in the expiry queue only if its bucket changes.
      old.data = s.data;
      old.status = s.status;
      old.createdAt = s.createdAt;
      old.lastActivity = s.lastActivity;
      old.expiresAt = s.expiresAt;
      old.ttlMs = s.ttlMs;
      this.due.requeue(old);
      if (this.keepsLruOrder) {
        // Already found above: move it to most recently used without looking it up again.
        this.sessions.delete(s.key);
        this.sessions.set(s.key, old);
      }
      return;
    }
    const e: Entry = {
      key: s.key,
      data: s.data,
      status: s.status,
      createdAt: s.createdAt,
      lastActivity: s.lastActivity,
      expiresAt: s.expiresAt,
      ttlMs: s.ttlMs,
      queuedIn: null,
      queuedAt: 0,
    };
    this.sessions.set(s.key, e);
    this.due.add(e);
    if (this.sessions.size > this.maxSessions) {
      // Map iteration order is insertion order, and every use re-inserts: the first is the LRU.
      this.drop(this.sessions.values().next().value as Entry);
    }
  }

  find(key: string): StoredSession | undefined {
    // The store only reads the fields and never hands this object out.
    return this.use(key);
  }

  removeIfExpired(key: string, now: number): void {
    const e = this.sessions.get(key);
    if (e !== undefined && e.expiresAt <= now) this.drop(e);
  }

  replaceData(
    key: string,
    expected: string,
    data: string,
    now: number,
    ttlMs: number | null,
  ): StoredSession | undefined {
    const e = this.use(key);
    if (e === undefined || e.expiresAt <= now || e.data !== expected) return undefined;
    e.data = data;
    if (ttlMs !== null) e.ttlMs = ttlMs;
    e.lastActivity = now;
    e.expiresAt = now + e.ttlMs;
    // A shorter TTL can move the due time earlier than the bucket it is queued in.
    if (ttlMs !== null) this.due.requeue(e);
    return { ...e };
  }

  slide(key: string, now: number, ttlMs: number | null, status: SessionStatus | null): boolean {
    const e = this.use(key);
    if (e === undefined || e.expiresAt <= now) return false;
    if (status !== null) e.status = status;
    if (ttlMs !== null) e.ttlMs = ttlMs;
    e.lastActivity = now;
    e.expiresAt = now + e.ttlMs;
    // A later due time is found by the sweep (it re-queues); an earlier one must move now.
    if (ttlMs !== null) this.due.requeue(e);
    return true;
  }

  removeLive(key: string, now: number): boolean {
    const e = this.sessions.get(key);
    if (e === undefined) return false;
    this.drop(e);
    return e.expiresAt > now;
  }

  sweepStep(now: number, limit: number): { removed: number; done: boolean } {
    let removed = 0;
    const visited = this.due.drain(
      now,
      (e) => {
        if (e.expiresAt <= now) {
          this.sessions.delete(e.key);
          removed++;
        } else {
          this.due.add(e); // touched since it was queued: wait for the new time
        }
      },
      limit,
    );
    return { removed, done: visited < limit };
  }

  list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): StoredSession[] {
    const out: Entry[] = [];
    for (const e of this.sessions.values()) {
      if (status !== null && e.status !== status) continue;
      if (!includeExpired && e.expiresAt <= now) continue;
      out.push(e);
    }
    out.sort((a, b) => b.lastActivity - a.lastActivity || compareCodePoints(a.key, b.key));
    return out.slice(offset, offset + limit);
  }

  count(now: number): number {
    let n = 0;
    for (const e of this.sessions.values()) if (e.expiresAt > now) n++;
    return n;
  }

  clear(): void {
    this.sessions.clear();
    this.due.clear();
  }

  async close(): Promise<void> {}
}

/**
 * Sessions in process memory, with the same semantics as every other backend. Callers get
 * their own copies of the data (the store keeps JSON text), so a request's unsaved change is
 * never seen by another request. Optional `maxSessions` (least recently used out first) and
 * `sweepIntervalMs` (an unref'd timer).
 */
export class MemoryStore<T extends SessionData = SessionData> extends BackendStore<T> {
  private timer: NodeJS.Timeout | null = null;

  constructor(options: MemoryStoreOptions = {}) {
    const maxSessions = options.maxSessions ?? Number.POSITIVE_INFINITY;
    if (!(maxSessions >= 1)) {
      throw new DbDoctorError('BAD_OPTION', `maxSessions must be at least 1 (got ${options.maxSessions}).`, {
        unchanged: 'No store was created.',
        hint: 'Leave it out for an unbounded store.',
      });
    }
    super(new MemoryBackend(maxSessions), options);
    if (options.sweepIntervalMs !== undefined) {
      this.timer = setInterval(() => void this.sweep().catch(() => {}), options.sweepIntervalMs);
      this.timer.unref();
    }
  }

  override async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
