import type pg from 'pg';
import { missingTables, type SessionBackend, type StoredSession, SWEEP_BATCH } from './backend.js';
import type { SessionStatus } from './types.js';

// The data comes back as jsonb's own text (the store parses it once, and compare-and-set
// sends that text back: jsonb equality ignores its rendering).
const COLUMNS = 'key, data::text AS data, status, created_at, last_activity, expires_at, ttl_ms';

interface Raw {
  key: string;
  data: string;
  status: SessionStatus;
  created_at: string;
  last_activity: string;
  expires_at: string;
  ttl_ms: string;
}

function toRow(r: Raw): StoredSession {
  // BIGINT arrives as a string; epoch milliseconds fit a double exactly.
  return {
    key: r.key,
    data: r.data,
    status: r.status,
    createdAt: Number(r.created_at),
    lastActivity: Number(r.last_activity),
    expiresAt: Number(r.expires_at),
    ttlMs: Number(r.ttl_ms),
  };
}

/** Anything with pg's query: a Pool (concurrent requests share it) or a Client. */
export type PgQueryable = Pick<pg.Pool, 'query'>;

/**
 * PostgreSQL session statements: each operation is one statement, atomic under the row lock
 * without a transaction, so a Client shared with other work is never left inside one.
 */
export class PostgresSessionBackend implements SessionBackend {
  readonly name = 'PostgreSQL';
  readonly sweepBatchSize = SWEEP_BATCH;

  constructor(
    private readonly db: PgQueryable,
    private readonly onClose: () => Promise<void>,
  ) {}

  private async q<R>(
    text: string,
    values: unknown[],
    name?: string,
  ): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    try {
      return await this.db.query<R & pg.QueryResultRow>(name ? { name, text, values } : { text, values });
    } catch (e) {
      if ((e as { code?: string }).code === '42P01') throw missingTables(e);
      throw e;
    }
  }

  async put(r: StoredSession): Promise<void> {
    await this.q(
      `INSERT INTO dbdoctor_sessions (key, data, status, created_at, last_activity, expires_at, ttl_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (key) DO UPDATE SET data = excluded.data, status = excluded.status, created_at = excluded.created_at,
         last_activity = excluded.last_activity, expires_at = excluded.expires_at, ttl_ms = excluded.ttl_ms`,
      [r.key, r.data, r.status, r.createdAt, r.lastActivity, r.expiresAt, r.ttlMs],
      'dbdoctor_sessions_put',
    );
  }

  async find(key: string): Promise<StoredSession | undefined> {
    const res = await this.q<Raw>(
      `SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE key = $1`,
      [key],
      'dbdoctor_sessions_find',
    );
    return res.rows[0] && toRow(res.rows[0]);
  }

  async removeIfExpired(key: string, now: number): Promise<void> {
    await this.q(
      'DELETE FROM dbdoctor_sessions WHERE key = $1 AND expires_at <= $2',
      [key, now],
      'dbdoctor_sessions_expire',
    );
  }

  async replaceData(
    key: string,
    expected: string,
    data: string,
    now: number,
    ttlMs: number | null,
  ): Promise<StoredSession | undefined> {
    const res = await this.q<Omit<Raw, 'data'>>(
      `UPDATE dbdoctor_sessions SET data = $2::jsonb, ttl_ms = coalesce($5::bigint, ttl_ms), last_activity = $4,
         expires_at = $4 + coalesce($5::bigint, ttl_ms)
       WHERE key = $1 AND data = $3::jsonb AND expires_at > $4
       RETURNING key, status, created_at, last_activity, expires_at, ttl_ms`,
      [key, data, expected, now, ttlMs],
      'dbdoctor_sessions_replace',
    );
    const r = res.rows[0];
    return r && toRow({ ...r, data });
  }

  async slide(
    key: string,
    now: number,
    ttlMs: number | null,
    status: SessionStatus | null,
  ): Promise<boolean> {
    const res = await this.q(
      `UPDATE dbdoctor_sessions SET ttl_ms = coalesce($3::bigint, ttl_ms), last_activity = $2,
         expires_at = $2 + coalesce($3::bigint, ttl_ms), status = coalesce($4, status)
       WHERE key = $1 AND expires_at > $2`,
      [key, now, ttlMs, status],
      'dbdoctor_sessions_slide',
    );
    return (res.rowCount ?? 0) > 0;
  }

  async removeLive(key: string, now: number): Promise<boolean> {
    const res = await this.q<{ live: boolean }>(
      'DELETE FROM dbdoctor_sessions WHERE key = $1 RETURNING expires_at > $2 AS live',
      [key, now],
      'dbdoctor_sessions_remove',
    );
    return res.rows[0]?.live === true;
  }

  async sweepStep(now: number, limit: number): Promise<{ removed: number; done: boolean }> {
    // SKIP LOCKED: two sweepers (or a sweeper and a request) never wait on each other. By
    // ctid (a TID scan) rather than by key: 2-3x faster than re-finding each key in the index.
    const res = await this.q(
      `DELETE FROM dbdoctor_sessions WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM dbdoctor_sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      [now, limit],
      'dbdoctor_sessions_sweep',
    );
    const removed = res.rowCount ?? 0;
    return { removed, done: removed < limit };
  }

  async list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): Promise<StoredSession[]> {
    // COLLATE "C": ties in code point order, as on every other backend, whatever the
    // database's collation.
    const res = await this.q<Raw>(
      `SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE ($1::text IS NULL OR status = $1) AND ($2 OR expires_at > $3)
       ORDER BY last_activity DESC, key COLLATE "C" LIMIT $4 OFFSET $5`,
      [status, includeExpired, now, limit, offset],
    );
    return res.rows.map(toRow);
  }

  async count(now: number): Promise<number> {
    const res = await this.q<{ n: number }>(
      'SELECT count(*)::int AS n FROM dbdoctor_sessions WHERE expires_at > $1',
      [now],
    );
    return res.rows[0]!.n;
  }

  async clear(): Promise<void> {
    await this.q('DELETE FROM dbdoctor_sessions', []);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}
