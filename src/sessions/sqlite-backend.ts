import type BetterSqlite3 from 'better-sqlite3';
import { missingTables, type SessionBackend, type SessionRow } from './sql-backend.js';
import type { SessionStatus } from './types.js';
import { checkData } from './validate.js';

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

function toRow(r: Raw): SessionRow {
  return {
    key: r.key,
    data: JSON.parse(r.data),
    status: r.status,
    createdAt: r.created_at,
    lastActivity: r.last_activity,
    expiresAt: r.expires_at,
    ttlMs: r.ttl_ms,
  };
}

/**
 * SQLite session statements over better-sqlite3, prepared once. Synchronous underneath, so
 * a read-modify-write inside `BEGIN IMMEDIATE` is atomic across processes.
 */
export class SqliteSessionBackend implements SessionBackend {
  private readonly s: Record<string, BetterSqlite3.Statement>;
  private readonly mergeTx: BetterSqlite3.Transaction<
    (key: string, patch: Record<string, unknown>, now: number, maxBytes: number) => SessionRow | undefined
  >;

  constructor(
    readonly db: BetterSqlite3.Database,
    private readonly onClose: () => Promise<void>,
  ) {
    try {
      this.s = {
        upsert: db.prepare(
          `INSERT INTO dbdoctor_sessions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET data = excluded.data, status = excluded.status, created_at = excluded.created_at,
             last_activity = excluded.last_activity, expires_at = excluded.expires_at, ttl_ms = excluded.ttl_ms`,
        ),
        find: db.prepare(`SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE key = ?`),
        findLive: db.prepare(`SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE key = ? AND expires_at > ?`),
        deleteIfExpired: db.prepare('DELETE FROM dbdoctor_sessions WHERE key = ? AND expires_at <= ?'),
        setData: db.prepare(
          'UPDATE dbdoctor_sessions SET data = ?, last_activity = ?, expires_at = ? + ttl_ms WHERE key = ?',
        ),
        slide: db.prepare(
          'UPDATE dbdoctor_sessions SET last_activity = ?, expires_at = ? + ttl_ms, status = coalesce(?, status) WHERE key = ? AND expires_at > ?',
        ),
        remove: db.prepare('DELETE FROM dbdoctor_sessions WHERE key = ?'),
        sweep: db.prepare(
          'DELETE FROM dbdoctor_sessions WHERE rowid IN (SELECT rowid FROM dbdoctor_sessions WHERE expires_at <= ? LIMIT ?)',
        ),
        list: db.prepare(
          `SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE (? IS NULL OR status = ?) AND (? = 1 OR expires_at > ?)
           ORDER BY last_activity DESC LIMIT ? OFFSET ?`,
        ),
        count: db.prepare('SELECT count(*) AS n FROM dbdoctor_sessions WHERE expires_at > ?'),
        clear: db.prepare('DELETE FROM dbdoctor_sessions'),
      };
    } catch (e) {
      throw missingTables(e);
    }
    this.mergeTx = db.transaction(
      (key: string, patch: Record<string, unknown>, now: number, maxBytes: number) => {
        const raw = this.s.findLive!.get(key, now) as Raw | undefined;
        if (!raw) return undefined;
        const row = toRow(raw);
        row.data = checkData({ ...row.data, ...patch } as never, maxBytes);
        row.lastActivity = now;
        row.expiresAt = now + row.ttlMs;
        this.s.setData!.run(JSON.stringify(row.data), now, now, key);
        return row;
      },
    );
  }

  async upsert(r: SessionRow): Promise<void> {
    this.s.upsert!.run(
      r.key,
      JSON.stringify(r.data),
      r.status,
      r.createdAt,
      r.lastActivity,
      r.expiresAt,
      r.ttlMs,
    );
  }

  async find(key: string): Promise<SessionRow | undefined> {
    const raw = this.s.find!.get(key) as Raw | undefined;
    return raw && toRow(raw);
  }

  async deleteIfExpired(key: string, now: number): Promise<void> {
    this.s.deleteIfExpired!.run(key, now);
  }

  async merge(
    key: string,
    patch: Record<string, unknown>,
    now: number,
    maxBytes: number,
  ): Promise<SessionRow | undefined> {
    return this.mergeTx.immediate(key, patch, now, maxBytes);
  }

  async slide(key: string, now: number, status: SessionStatus | null): Promise<boolean> {
    return this.s.slide!.run(now, now, status, key, now).changes > 0;
  }

  async remove(key: string): Promise<boolean> {
    return this.s.remove!.run(key).changes > 0;
  }

  async sweepBatch(now: number, limit: number): Promise<number> {
    return this.s.sweep!.run(now, limit).changes;
  }

  async list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ) {
    return (this.s.list!.all(status, status, includeExpired ? 1 : 0, now, limit, offset) as Raw[]).map(toRow);
  }

  async count(now: number): Promise<number> {
    return (this.s.count!.get(now) as { n: number }).n;
  }

  async clear(): Promise<void> {
    this.s.clear!.run();
  }

  close(): Promise<void> {
    return this.onClose();
  }
}
