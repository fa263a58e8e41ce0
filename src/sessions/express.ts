import type { SessionData, SessionStore } from './types.js';

/** The part of express-session's module this adapter needs: its `Store` base class. */
export interface ExpressSessionModule<S extends object = object> {
  Store: abstract new () => S;
}

type Callback<T = unknown> = (err?: unknown, value?: T) => void;

interface CookieLike {
  maxAge?: number | null;
  expires?: Date | string | null;
}

/**
 * An express-session `Store` over any dbdoctor session store (memory, SQLite, PostgreSQL).
 * Pass the express-session module, as with connect-pg-simple, so dbdoctor does not depend on it:
 *
 * ```ts
 * import session from 'express-session';
 * const SessionStore = expressSessionStore(session);
 * app.use(session({ store: new SessionStore(await openSessionStore(url)), secret, resave: false, saveUninitialized: false }));
 * ```
 *
 * The session's TTL follows the cookie's maxAge (else the store's default), and `touch`
 * slides it, so rolling sessions work.
 */
export function expressSessionStore<S extends object>(session: ExpressSessionModule<S>) {
  // express-session's Store is abstract in its types but a plain class at run time.
  const Base = session.Store as unknown as new () => object;
  class DbDoctorExpressStore extends Base {
    constructor(
      readonly sessions: SessionStore<SessionData>,
      readonly options: { defaultTtlMs?: number } = {},
    ) {
      super();
    }

    /** The TTL for a session: its cookie's maxAge, else the default. */
    ttlOf(sess: { cookie?: CookieLike }): number | undefined {
      const maxAge = sess.cookie?.maxAge;
      if (typeof maxAge === 'number' && maxAge > 0) return maxAge;
      return this.options.defaultTtlMs;
    }

    get(sid: string, cb: Callback<SessionData | null>): void {
      this.sessions.get(sid).then((s) => cb(undefined, s ? s.data : null), cb);
    }

    set(sid: string, sess: SessionData & { cookie?: CookieLike }, cb: Callback = () => {}): void {
      // The cookie object serializes to plain JSON (express-session stores it the same way).
      const data = JSON.parse(JSON.stringify(sess)) as SessionData;
      this.sessions.create(sid, data, { ttl: this.ttlOf(sess) }).then(() => cb(), cb);
    }

    destroy(sid: string, cb: Callback = () => {}): void {
      this.sessions.delete(sid).then(() => cb(), cb);
    }

    touch(sid: string, _sess: unknown, cb: Callback = () => {}): void {
      this.sessions.touch(sid).then(() => cb(), cb);
    }

    all(cb: Callback<Record<string, SessionData>>): void {
      this.sessions
        .list({ limit: 100_000 })
        .then((list) => cb(undefined, Object.fromEntries(list.map((s) => [s.key, s.data]))), cb);
    }

    length(cb: Callback<number>): void {
      this.sessions.count().then((n) => cb(undefined, n), cb);
    }

    clear(cb: Callback = () => {}): void {
      this.sessions.clear().then(() => cb(), cb);
    }
  }
  return DbDoctorExpressStore as unknown as new (
    sessions: SessionStore<SessionData>,
    options?: { defaultTtlMs?: number },
  ) => S & InstanceType<typeof DbDoctorExpressStore>;
}
