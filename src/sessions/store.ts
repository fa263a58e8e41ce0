import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DbDoctorError, errorMessage } from '../errors.js';
import type { SessionBackend, StoredSession } from './backend.js';
import type {
  InvalidReason,
  ListOptions,
  Session,
  SessionData,
  SessionStatus,
  SessionStore,
  SlideOptions,
  StoreOptions,
  SweepOptions,
  Ttl,
  Validation,
} from './types.js';
import {
  checkJson,
  checkKey,
  checkStatus,
  DEFAULT_LIST_LIMIT,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_TTL_MS,
  generateKey,
  serializeData,
  ttlMs,
  wholeNumber,
} from './validate.js';

/** Compare-and-set rounds `update` tries before it reports SESSION_CONFLICT. */
const MAX_UPDATE_ROUNDS = 1000;

type Operation =
  | 'create'
  | 'get'
  | 'update'
  | 'touch'
  | 'complete'
  | 'abandon'
  | 'validate'
  | 'delete'
  | 'sweep'
  | 'list'
  | 'count'
  | 'clear'
  | 'close';
const READS: ReadonlySet<Operation> = new Set(['get', 'validate', 'list', 'count']);

/**
 * A session store over one backend: every check, every rule of the lifecycle and every error
 * is here, once, so memory, SQLite, PostgreSQL and Redis behave alike. Every method is
 * async: a bad argument rejects the promise, it never throws.
 */
export class BackendStore<T extends SessionData = SessionData> implements SessionStore<T> {
  private readonly clock: () => number;
  private readonly defaultTtlMs: number;
  private readonly maxBytes: number;

  constructor(
    /** The backend; exposed for tests and benchmarks, not part of the stable API. */
    readonly backend: SessionBackend,
    options: StoreOptions = {},
  ) {
    // Read Date.now at each call (not once here), so a clock mocked later is seen too.
    this.clock = options.clock ?? (() => Date.now());
    this.defaultTtlMs = ttlMs(options.defaultTtl, DEFAULT_TTL_MS);
    this.maxBytes = wholeNumber(options.maxDataBytes, 'maxDataBytes', 2) ?? DEFAULT_MAX_DATA_BYTES;
  }

  /** The error to report for `e` met during `op`: a DbDoctorError as it is, else explained. */
  private explain(e: unknown, op: Operation): DbDoctorError {
    if (e instanceof DbDoctorError) return e;
    return new DbDoctorError(
      'SESSION_STORE_FAILED',
      `The ${this.backend.name} session store failed during ${op}: ${errorMessage(e)}`,
      {
        unchanged: READS.has(op)
          ? 'Nothing was changed.'
          : 'The database did not confirm the change: it may or may not have been applied.',
        hint: `Check that the ${this.backend.name} server is reachable and the session tables are installed, then retry.`,
        cause: e,
      },
    );
  }

  private session(row: StoredSession, data: T): Session<T> {
    return {
      key: row.key,
      data,
      status: row.status,
      createdAt: row.createdAt,
      lastActivity: row.lastActivity,
      expiresAt: row.expiresAt,
      ttlMs: row.ttlMs,
    };
  }

  /** A new, unshared session object with its own copy of the data. */
  private parsed(row: StoredSession): Session<T> {
    return this.session(row, JSON.parse(row.data) as T);
  }

  private slideTtl(options: SlideOptions | undefined): number | null {
    return options?.ttl === undefined ? null : ttlMs(options.ttl, this.defaultTtlMs);
  }

  async create(key: string | null | undefined, data: T, options: { ttl?: Ttl } = {}): Promise<Session<T>> {
    try {
      const k = key == null ? generateKey() : checkKey(key);
      const ttl = ttlMs(options?.ttl, this.defaultTtlMs);
      const json = serializeData(data, this.maxBytes);
      const now = this.clock();
      const row: StoredSession = {
        key: k,
        data: json,
        status: 'active',
        createdAt: now,
        lastActivity: now,
        expiresAt: now + ttl,
        ttlMs: ttl,
      };
      // A synchronous backend (memory, SQLite) is not awaited: no extra turn of the microtask queue.
      const put = this.backend.put(row);
      if (put instanceof Promise) await put;
      // The caller's own object: the store keeps only the JSON text.
      return this.session(row, data);
    } catch (e) {
      throw this.explain(e, 'create');
    }
  }

  async get(key: string): Promise<Session<T> | null> {
    try {
      const k = checkKey(key);
      const found = this.backend.find(k);
      const row = found instanceof Promise ? await found : found;
      if (!row) return null;
      const now = this.clock();
      if (row.expiresAt <= now) {
        await this.backend.removeIfExpired(k, now);
        return null;
      }
      return this.parsed(row);
    } catch (e) {
      throw this.explain(e, 'get');
    }
  }

  async update(key: string, patch: Partial<T>, options?: SlideOptions): Promise<Session<T> | null> {
    try {
      const k = checkKey(key);
      checkJson(patch);
      const ttl = this.slideTtl(options);
      for (let round = 0; round < MAX_UPDATE_ROUNDS; round++) {
        const row = await this.backend.find(k);
        const now = this.clock();
        if (!row) return null;
        if (row.expiresAt <= now) {
          await this.backend.removeIfExpired(k, now);
          return null;
        }
        // Merged and sized here, as create sizes data: one count (UTF-8 bytes of the JSON)
        // on every backend, whatever text the database renders its copy as.
        const merged = { ...(JSON.parse(row.data) as T), ...patch } as T;
        const json = serializeData(merged, this.maxBytes, 'update');
        const stored = await this.backend.replaceData(k, row.data, json, now, ttl);
        if (stored) return this.session(stored, JSON.parse(json) as T);
        // Another writer changed, replaced or removed the session in between: read it again.
      }
      throw new DbDoctorError(
        'SESSION_CONFLICT',
        `The session was changed by other writers ${MAX_UPDATE_ROUNDS} times while this update tried to apply.`,
        {
          unchanged: 'The session was not changed by this update.',
          hint: 'Retry the update; if it keeps happening, fewer writers should update one session at once.',
        },
      );
    } catch (e) {
      throw this.explain(e, 'update');
    }
  }

  async touch(key: string, options?: SlideOptions): Promise<boolean> {
    try {
      const k = checkKey(key);
      const ttl = this.slideTtl(options);
      const slid = this.backend.slide(k, this.clock(), ttl, null);
      return slid instanceof Promise ? await slid : slid;
    } catch (e) {
      throw this.explain(e, 'touch');
    }
  }

  private async setStatus(op: 'complete' | 'abandon', key: string, status: SessionStatus): Promise<boolean> {
    try {
      return await this.backend.slide(checkKey(key), this.clock(), null, status);
    } catch (e) {
      throw this.explain(e, op);
    }
  }

  complete(key: string): Promise<boolean> {
    return this.setStatus('complete', key, 'completed');
  }

  abandon(key: string): Promise<boolean> {
    return this.setStatus('abandon', key, 'abandoned');
  }

  async validate(key: string): Promise<Validation<T>> {
    try {
      const k = checkKey(key);
      const row = await this.backend.find(k);
      if (!row) return { valid: false, reason: 'not_found', session: null };
      const now = this.clock();
      const session = this.parsed(row);
      let reason: InvalidReason | null = null;
      if (row.expiresAt <= now) {
        await this.backend.removeIfExpired(k, now);
        reason = 'expired';
      } else if (row.status !== 'active') reason = row.status;
      return reason === null ? { valid: true, session } : { valid: false, reason, session };
    } catch (e) {
      throw this.explain(e, 'validate');
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return await this.backend.removeLive(checkKey(key), this.clock());
    } catch (e) {
      throw this.explain(e, 'delete');
    }
  }

  async sweep(options: SweepOptions = {}): Promise<number> {
    try {
      const now = this.clock();
      let total = 0;
      for (;;) {
        const step = await this.backend.sweepStep(now, this.backend.sweepBatchSize);
        total += step.removed;
        if (options.onBatch) await options.onBatch(total);
        if (step.done) return total;
        // No statement is open here: let this process's other work, and (on SQLite) another
        // process waiting for the write lock, in before the next batch.
        await yieldToEventLoop();
      }
    } catch (e) {
      throw this.explain(e, 'sweep');
    }
  }

  async list(options: ListOptions = {}): Promise<Session<T>[]> {
    try {
      const status = checkStatus(options.status);
      const limit = wholeNumber(options.limit, 'limit', 0) ?? DEFAULT_LIST_LIMIT;
      const offset = wholeNumber(options.offset, 'offset', 0) ?? 0;
      const rows = await this.backend.list(
        this.clock(),
        status ?? null,
        options.includeExpired === true,
        limit,
        offset,
      );
      return rows.map((r) => this.parsed(r));
    } catch (e) {
      throw this.explain(e, 'list');
    }
  }

  async count(): Promise<number> {
    try {
      return await this.backend.count(this.clock());
    } catch (e) {
      throw this.explain(e, 'count');
    }
  }

  async clear(): Promise<void> {
    try {
      return await this.backend.clear();
    } catch (e) {
      throw this.explain(e, 'clear');
    }
  }

  async close(): Promise<void> {
    try {
      return await this.backend.close();
    } catch (e) {
      throw this.explain(e, 'close');
    }
  }
}
