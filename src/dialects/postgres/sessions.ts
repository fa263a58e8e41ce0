// The PostgreSQL session role: every statement dbdoctor/sessions runs on a PostgreSQL database.
import type pg from 'pg';
import {
  missingTables,
  type SessionBackend,
  type StoredSession,
  SWEEP_BATCH,
  type ThrottleBackend,
  type ThrottleCounts,
} from '../../sessions/backend.js';
import type { SessionStatus } from '../../sessions/types.js';
import type { SessionStorage } from '../dialect.js';
import { connectPostgres, isPgHandle } from './driver.js';
import type { PostgresTarget } from './url.js';

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

// One statement per hit: under the row's lock, the latest failure times (newer than the
// window, at most max, plus this one) and the lock are computed from the row as it is.
const PG_KEPT = `(SELECT coalesce(array_agg(t ORDER BY t), '{}') FROM (
    SELECT t FROM unnest(a.failure_times || $2::bigint) AS t WHERE t > $2::bigint - $3::bigint ORDER BY t DESC LIMIT $4::int) AS recent)`;
const PG_HIT = `
INSERT INTO dbdoctor_login_attempts AS a (key, failures, window_start, locked_until, failure_times)
VALUES ($1, 1, $2::bigint, CASE WHEN 1 >= $4::int THEN $2::bigint + $5::bigint END, ARRAY[$2::bigint])
ON CONFLICT (key) DO UPDATE SET
  failure_times = ${PG_KEPT},
  failures = cardinality(${PG_KEPT}),
  window_start = coalesce((${PG_KEPT})[1], $2::bigint),
  locked_until = CASE
    WHEN cardinality(${PG_KEPT}) >= $4::int AND (a.locked_until IS NULL OR a.locked_until <= $2::bigint)
      THEN $2::bigint + $5::bigint
    ELSE a.locked_until END
RETURNING failure_times, locked_until`;

/** The login throttle's counts: each method is one statement. */
function postgresThrottle(db: PgQueryable, onClose: () => Promise<void>): ThrottleBackend {
  const q = async (name: string, text: string, values: unknown[]) => {
    try {
      return await db.query<{ failure_times: string[]; locked_until: string | null } & pg.QueryResultRow>({
        name,
        text,
        values,
      });
    } catch (e) {
      if ((e as { code?: string }).code === '42P01' || (e as { code?: string }).code === '42703')
        throw missingTables(e);
      throw e;
    }
  };
  const counts = (row: { failure_times: string[]; locked_until: string | null } | undefined) =>
    row && {
      times: row.failure_times.map(Number),
      lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    };
  return {
    name: 'PostgreSQL',
    hit: async (key, now, rules) =>
      counts(
        (await q('dbdoctor_throttle_hit2', PG_HIT, [key, now, rules.windowMs, rules.max, rules.lockMs]))
          .rows[0],
      ) as ThrottleCounts,
    read: async (key) =>
      counts(
        (
          await q(
            'dbdoctor_throttle_read2',
            'SELECT failure_times, locked_until FROM dbdoctor_login_attempts WHERE key = $1',
            [key],
          )
        ).rows[0],
      ),
    reset: async (key) =>
      void (await q('dbdoctor_throttle_reset', 'DELETE FROM dbdoctor_login_attempts WHERE key = $1', [key])),
    close: onClose,
  };
}

/** Sessions on PostgreSQL: a caller's pg Pool or Client, or a Pool opened here. */
export const postgresSessions: SessionStorage = {
  async open(source, options) {
    let db: PgQueryable;
    let close = async () => {};
    if ('handle' in source) {
      if (!isPgHandle(source.handle)) throw new TypeError('not a pg Pool or Client');
      db = source.handle;
    } else {
      const target = source.target as PostgresTarget;
      // Connect once up front, so a wrong URL is the same DbDoctorError as for migrations, at open.
      await (await connectPostgres(target)).end();
      const pgModule = await import('pg');
      const { Pool } = (pgModule.default ?? pgModule) as typeof pg;
      const pool = new Pool({
        connectionString: target.connectionString,
        max: options.poolSize,
        application_name: options.applicationName,
      });
      // An idle client whose server goes away emits 'error'; without a listener Node would crash.
      pool.on('error', () => {});
      db = pool;
      close = () => pool.end();
    }
    return {
      sessionBackend: () => new PostgresSessionBackend(db, close),
      throttleBackend: () => postgresThrottle(db, close),
      close,
    };
  },
};
