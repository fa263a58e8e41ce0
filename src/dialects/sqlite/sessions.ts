// The SQLite session role: every statement dbdoctor/sessions runs on a SQLite database.
import type BetterSqlite3 from 'better-sqlite3';
import {
  applyFailure,
  missingTables,
  type SessionBackend,
  type StoredSession,
  type ThrottleBackend,
  type ThrottleCounts,
  type ThrottleRules,
} from '../../sessions/backend.js';
import type { SessionStatus } from '../../sessions/types.js';
import type { DatabaseTarget, SessionStorage } from '../dialect.js';
import {
  busyTimeout,
  DEFAULT_BUSY_TIMEOUT_MS,
  describeSqliteError,
  isBetterSqlite,
  isSqliteBusy,
  openSqliteDatabase,
} from './driver.js';
import type { SqliteTarget } from './url.js';

const COLUMNS = 'key, data, status, created_at, last_activity, expires_at, ttl_ms';

interface Raw {
  key: string;
  data: string;
  status: SessionStatus;
  created_at: number;
  last_activity: number;
  expires_at: number;
  ttl_ms: number;
}

function toRow(r: Raw): StoredSession {
  return {
    key: r.key,
    data: r.data,
    status: r.status,
    createdAt: r.created_at,
    lastActivity: r.last_activity,
    expiresAt: r.expires_at,
    ttlMs: r.ttl_ms,
  };
}

/** How many expired sessions one SQLite sweep statement deletes (a few ms of write lock). */
export const SQLITE_SWEEP_BATCH = 2000;

/**
 * SQLite session statements over better-sqlite3, prepared once. Each is one statement, so
 * atomic across processes; the data is compared as the exact text the store wrote.
 */
export class SqliteSessionBackend implements SessionBackend {
  readonly name = 'SQLite';
  readonly sweepBatchSize = SQLITE_SWEEP_BATCH;
  private readonly s: Record<string, BetterSqlite3.Statement>;

  constructor(
    readonly db: BetterSqlite3.Database,
    private readonly onClose: () => Promise<void>,
  ) {
    try {
      this.s = {
        put: db.prepare(
          `INSERT INTO dbdoctor_sessions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET data = excluded.data, status = excluded.status, created_at = excluded.created_at,
             last_activity = excluded.last_activity, expires_at = excluded.expires_at, ttl_ms = excluded.ttl_ms`,
        ),
        find: db.prepare(`SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE key = ?`),
        removeIfExpired: db.prepare('DELETE FROM dbdoctor_sessions WHERE key = ? AND expires_at <= ?'),
        replaceData: db.prepare(
          `UPDATE dbdoctor_sessions SET data = ?, ttl_ms = coalesce(?, ttl_ms), last_activity = ?,
             expires_at = ? + coalesce(?, ttl_ms)
           WHERE key = ? AND data = ? AND expires_at > ? RETURNING ${COLUMNS}`,
        ),
        slide: db.prepare(
          `UPDATE dbdoctor_sessions SET ttl_ms = coalesce(?, ttl_ms), last_activity = ?, expires_at = ? + coalesce(?, ttl_ms),
             status = coalesce(?, status) WHERE key = ? AND expires_at > ?`,
        ),
        removeLive: db.prepare(
          'DELETE FROM dbdoctor_sessions WHERE key = ? RETURNING expires_at > ? AS live',
        ),
        sweep: db.prepare(
          'DELETE FROM dbdoctor_sessions WHERE rowid IN (SELECT rowid FROM dbdoctor_sessions WHERE expires_at <= ? LIMIT ?)',
        ),
        list: db.prepare(
          `SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE (? IS NULL OR status = ?) AND (? = 1 OR expires_at > ?)
           ORDER BY last_activity DESC, key LIMIT ? OFFSET ?`,
        ),
        count: db.prepare('SELECT count(*) AS n FROM dbdoctor_sessions WHERE expires_at > ?'),
        clear: db.prepare('DELETE FROM dbdoctor_sessions'),
      };
    } catch (e) {
      throw missingTables(e);
    }
  }

  put(r: StoredSession): void {
    this.s.put!.run(r.key, r.data, r.status, r.createdAt, r.lastActivity, r.expiresAt, r.ttlMs);
  }

  find(key: string): StoredSession | undefined {
    const raw = this.s.find!.get(key) as Raw | undefined;
    return raw && toRow(raw);
  }

  removeIfExpired(key: string, now: number): void {
    this.s.removeIfExpired!.run(key, now);
  }

  replaceData(
    key: string,
    expected: string,
    data: string,
    now: number,
    ttlMs: number | null,
  ): StoredSession | undefined {
    const raw = this.s.replaceData!.get(data, ttlMs, now, now, ttlMs, key, expected, now) as Raw | undefined;
    return raw && toRow(raw);
  }

  slide(key: string, now: number, ttlMs: number | null, status: SessionStatus | null): boolean {
    return this.s.slide!.run(ttlMs, now, now, ttlMs, status, key, now).changes > 0;
  }

  removeLive(key: string, now: number): boolean {
    const r = this.s.removeLive!.get(key, now) as { live: number } | undefined;
    return r !== undefined && r.live === 1;
  }

  sweepStep(now: number, limit: number): { removed: number; done: boolean } {
    const removed = this.s.sweep!.run(now, limit).changes;
    return { removed, done: removed < limit };
  }

  list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): StoredSession[] {
    return (this.s.list!.all(status, status, includeExpired ? 1 : 0, now, limit, offset) as Raw[]).map(toRow);
  }

  count(now: number): number {
    return (this.s.count!.get(now) as { n: number }).n;
  }

  clear(): void {
    this.s.clear!.run();
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** The login throttle's counts: read and write in one BEGIN IMMEDIATE. */
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

/** Sessions on SQLite: a better-sqlite3 handle (the caller's, or a file opened here). */
export const sqliteSessions: SessionStorage = {
  async open(source, options) {
    let db: BetterSqlite3.Database;
    let close = async () => {};
    if ('handle' in source) {
      if (!isBetterSqlite(source.handle)) throw new TypeError('not a better-sqlite3 Database');
      db = source.handle;
    } else {
      const target = source.target as SqliteTarget;
      const opened = openSqliteDatabase(target.file, {
        mustExist: !target.memory,
        readonly: target.mode === 'ro',
        busyTimeoutMs: options.busyTimeoutMs,
      });
      db = opened;
      close = async () => void opened.close();
    }
    return {
      sessionBackend: () => new SqliteSessionBackend(db, close),
      throttleBackend: () => sqliteThrottle(db, close),
      close,
    };
  },
  describeError(error: unknown, target: DatabaseTarget, busyTimeoutMs: number | undefined) {
    const t = target as SqliteTarget;
    if (isSqliteBusy(error)) return busyTimeout(t.file, busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, error);
    return describeSqliteError(error, t.file, t.mode === 'ro');
  },
};
