import { errorMessage } from '../errors.js';
import type { SessionData, SessionStore } from './types.js';
import { MAX_TTL_MS } from './validate.js';

/** The part of express-session's module this adapter needs: its `Store` base class. */
export interface ExpressSessionModule<S extends object = object> {
  Store: abstract new () => S;
}

type Callback<T = unknown> = (err?: unknown, value?: T) => void;

interface CookieLike {
  maxAge?: number | null;
  expires?: Date | string | null;
}

/** Options of the express-session adapter. */
export interface ExpressStoreOptions {
  /**
   * TTL in ms for sessions whose cookie has no expiry (browser-session cookies, which
   * express-session's MemoryStore keeps for ever). Default: the store's default TTL.
   */
  defaultTtlMs?: number;
}

/**
 * Milliseconds until the cookie express-session hands over expires: from its `expires` (a
 * Date, or the ISO text of a stored cookie), else its `maxAge`; undefined for a
 * browser-session cookie. Zero or less: the session is already expired. A cookie that
 * "never expires" (expires in the year 9999, a maxAge of centuries) keeps the session for
 * the longest TTL a store takes ({@link MAX_TTL_MS}, 100 years) instead of failing the save
 * after express-session has already answered the request.
 */
export function cookieTtl(cookie: CookieLike | undefined, now = Date.now()): number | undefined {
  if (!cookie) return undefined;
  const expires = cookie.expires;
  let ttl: number | undefined;
  if (expires != null) {
    const at = expires instanceof Date ? expires.getTime() : Date.parse(expires);
    if (Number.isFinite(at)) ttl = at - now;
  }
  if (ttl === undefined && typeof cookie.maxAge === 'number') ttl = cookie.maxAge;
  return ttl === undefined ? undefined : Math.min(ttl, MAX_TTL_MS);
}

/**
 * An express-session `Store` over any dbdoctor session store (memory, SQLite, PostgreSQL,
 * Redis), with the observable behaviour of express-session's own MemoryStore. Pass the
 * express-session module, as with connect-pg-simple, so dbdoctor does not depend on it:
 *
 * ```ts
 * import session from 'express-session';
 * const SessionStore = expressSessionStore(session);
 * app.use(session({ store: new SessionStore(await openSessionStore(url)), secret, resave: false, saveUninitialized: false }));
 * ```
 *
 * The session expires when the cookie express-session hands over on `set` and on `touch`
 * does (a "remember me" that changes only `cookie.maxAge` is honoured), and `touch` stores
 * that cookie, as MemoryStore does, so a later explicit `save()` starts from it. A cookie
 * already expired removes the session. Every method calls back with its error, never throws.
 */
export function expressSessionStore<S extends object>(session: ExpressSessionModule<S>) {
  // express-session's Store is abstract in its types but a plain class at run time.
  const Base = session.Store as unknown as new () => object;
  class DbDoctorExpressStore extends Base {
    constructor(
      readonly sessions: SessionStore<SessionData>,
      readonly options: ExpressStoreOptions = {},
    ) {
      super();
    }

    /** Runs `work` and calls back once with its result or error, whatever it throws. */
    settle<T>(cb: Callback<T> | undefined, work: () => Promise<T>): void {
      const done = typeof cb === 'function' ? cb : () => {};
      let p: Promise<T>;
      try {
        p = work();
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => done(null, v),
        (e: unknown) => done(e instanceof Error ? e : new Error(errorMessage(e))),
      );
    }

    get(sid: string, cb: Callback<SessionData | null>): void {
      this.settle(cb, async () => {
        const s = await this.sessions.get(sid);
        return s ? s.data : null;
      });
    }

    set(sid: string, sess: SessionData & { cookie?: CookieLike }, cb?: Callback): void {
      this.settle(cb, async () => {
        // The Cookie instance serializes to plain JSON, as MemoryStore stores it.
        const data = JSON.parse(JSON.stringify(sess)) as SessionData;
        const ttl = cookieTtl(sess?.cookie) ?? this.options.defaultTtlMs;
        if (ttl !== undefined && ttl <= 0) {
          await this.sessions.delete(sid);
          return;
        }
        await this.sessions.create(sid, data, { ttl: ttl === undefined ? undefined : Math.ceil(ttl) });
      });
    }

    destroy(sid: string, cb?: Callback): void {
      this.settle(cb, async () => void (await this.sessions.delete(sid)));
    }

    touch(sid: string, sess: { cookie?: CookieLike }, cb?: Callback): void {
      this.settle(cb, async () => {
        const ttl = cookieTtl(sess?.cookie) ?? this.options.defaultTtlMs;
        if (ttl !== undefined && ttl <= 0) {
          await this.sessions.delete(sid);
          return;
        }
        const cookie = JSON.parse(JSON.stringify(sess?.cookie ?? null));
        // A session that is gone stays gone (update returns null), as with MemoryStore.
        await this.sessions.update(sid, { cookie }, { ttl: ttl === undefined ? undefined : Math.ceil(ttl) });
      });
    }

    all(cb: Callback<Record<string, SessionData>>): void {
      this.settle(cb, async () => {
        const out: Record<string, SessionData> = {};
        const page = 1000;
        for (let offset = 0; ; offset += page) {
          const list = await this.sessions.list({ limit: page, offset });
          for (const s of list) out[s.key] = s.data;
          if (list.length < page) return out;
        }
      });
    }

    length(cb: Callback<number>): void {
      this.settle(cb, () => this.sessions.count());
    }

    clear(cb?: Callback): void {
      this.settle(cb, () => this.sessions.clear());
    }
  }
  return DbDoctorExpressStore as unknown as new (
    sessions: SessionStore<SessionData>,
    options?: ExpressStoreOptions,
  ) => S & InstanceType<typeof DbDoctorExpressStore>;
}
