import { DbDoctorError } from '../errors.js';
import { ExpiryBuckets } from './expiry-buckets.js';
import { judge, newSession, type StoreSettings, storeSettings } from './lifecycle.js';
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

/** Options of the {@link MemoryStore}. */
export interface MemoryStoreOptions extends StoreOptions {
  /** At most this many sessions; the least recently used go first. Default unbounded. */
  maxSessions?: number;
  /** Sweep expired sessions this often (ms). The timer never keeps the process alive. */
  sweepIntervalMs?: number;
}

/**
 * Sessions in process memory: O(1) get/set in a Map (kept in least-recently-used order when
 * `maxSessions` bounds it) and expiry through {@link ExpiryBuckets}, so a sweep visits only
 * sessions that are due. A touch does not reschedule: the sweep re-queues a session whose
 * expiry moved on.
 *
 * Returned sessions are the stored objects; treat them as read-only and change them with
 * `update`.
 */
export class MemoryStore<T extends SessionData = SessionData> implements SessionStore<T> {
  private readonly sessions = new Map<string, Session<T>>();
  private readonly due = new ExpiryBuckets<Session<T>>((s) => s.expiresAt);
  private readonly settings: StoreSettings;
  private readonly maxSessions: number;
  /** Only a bounded store needs least-recently-used order (a Map re-insert per use). */
  private readonly keepsLruOrder: boolean;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: MemoryStoreOptions = {}) {
    this.settings = storeSettings(options);
    this.maxSessions = options.maxSessions ?? Number.POSITIVE_INFINITY;
    this.keepsLruOrder = Number.isFinite(this.maxSessions);
    if (!(this.maxSessions >= 1)) {
      throw new DbDoctorError('BAD_OPTION', `maxSessions must be at least 1 (got ${options.maxSessions}).`, {
        unchanged: 'No store was created.',
        hint: 'Leave it out for an unbounded store.',
      });
    }
    if (options.sweepIntervalMs !== undefined) {
      this.timer = setInterval(() => void this.sweep(), options.sweepIntervalMs);
      this.timer.unref();
    }
  }

  /** The live session (moved to most recently used), or undefined; removes an expired one. */
  private live(key: string, now: number): Session<T> | undefined {
    const s = this.sessions.get(key);
    if (s === undefined) return undefined;
    if (s.expiresAt <= now) {
      this.sessions.delete(key);
      return undefined;
    }
    if (this.keepsLruOrder) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
    }
    return s;
  }

  async create(key: string | null | undefined, data: T, options: { ttl?: Ttl } = {}): Promise<Session<T>> {
    const session = newSession(key, data, options.ttl, this.settings);
    const k = session.key;
    if (this.keepsLruOrder) this.sessions.delete(k);
    this.sessions.set(k, session);
    this.due.add(session);
    if (this.sessions.size > this.maxSessions) {
      // Map iteration order is insertion order, and every use re-inserts: the first is the LRU.
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return session;
  }

  async get(key: string): Promise<Session<T> | null> {
    return this.live(checkKey(key), this.settings.clock()) ?? null;
  }

  async update(key: string, patch: Partial<T>): Promise<Session<T> | null> {
    const now = this.settings.clock();
    const s = this.live(checkKey(key), now);
    if (!s) return null;
    const data = checkData({ ...s.data, ...patch } as T, this.settings.maxBytes);
    s.data = data;
    s.lastActivity = now;
    s.expiresAt = now + s.ttlMs;
    return s;
  }

  async touch(key: string): Promise<boolean> {
    const now = this.settings.clock();
    const s = this.live(checkKey(key), now);
    if (!s) return false;
    s.lastActivity = now;
    s.expiresAt = now + s.ttlMs;
    return true;
  }

  private async setStatus(key: string, status: Session['status']): Promise<boolean> {
    const now = this.settings.clock();
    const s = this.live(checkKey(key), now);
    if (!s) return false;
    s.status = status;
    s.lastActivity = now;
    s.expiresAt = now + s.ttlMs;
    return true;
  }

  complete(key: string): Promise<boolean> {
    return this.setStatus(key, 'completed');
  }

  abandon(key: string): Promise<boolean> {
    return this.setStatus(key, 'abandoned');
  }

  async validate(key: string): Promise<Validation<T>> {
    const k = checkKey(key);
    const verdict = judge(this.sessions.get(k), this.settings.clock());
    if (!verdict.valid && verdict.reason === 'expired') this.sessions.delete(k);
    return verdict;
  }

  async delete(key: string): Promise<boolean> {
    return this.sessions.delete(checkKey(key));
  }

  async sweep(): Promise<number> {
    const now = this.settings.clock();
    let removed = 0;
    this.due.drain(now, (session) => {
      if (this.sessions.get(session.key) !== session) return; // replaced or deleted since
      if (session.expiresAt <= now) {
        this.sessions.delete(session.key);
        removed++;
      } else {
        this.due.add(session); // touched since: wait for the new time
      }
    });
    return removed;
  }

  async list(options: ListOptions = {}): Promise<Session<T>[]> {
    const now = this.settings.clock();
    const out: Session<T>[] = [];
    for (const s of this.sessions.values()) {
      if (options.status && s.status !== options.status) continue;
      if (!options.includeExpired && s.expiresAt <= now) continue;
      out.push(s);
    }
    out.sort((a, b) => b.lastActivity - a.lastActivity);
    const offset = options.offset ?? 0;
    return out.slice(offset, options.limit === undefined ? undefined : offset + options.limit);
  }

  async count(): Promise<number> {
    const now = this.settings.clock();
    let n = 0;
    for (const s of this.sessions.values()) if (s.expiresAt > now) n++;
    return n;
  }

  async clear(): Promise<void> {
    this.sessions.clear();
    this.due.clear();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
