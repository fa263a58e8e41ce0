// The MySQL / MariaDB session role: every statement dbdoctor/sessions runs on a MySQL database.
import type * as mysql from 'mysql2/promise';
import {
  applyFailure,
  missingTables,
  type SessionBackend,
  type StoredSession,
  SWEEP_BATCH,
  type ThrottleBackend,
  type ThrottleCounts,
  type ThrottleRules,
} from '../../sessions/backend.js';
import type { SessionStatus } from '../../sessions/types.js';
import type { SessionStorage } from '../dialect.js';
import { connectMysql, ER, errnoOf, isMysqlHandle, loadDriver, type MysqlHandle } from './driver.js';
import type { MysqlTarget } from './url.js';

// `key` is a reserved word in MySQL: always quoted.
const COLUMNS = '`key`, data, status, created_at, last_activity, expires_at, ttl_ms';

interface Raw {
  key: Buffer | string;
  data: string;
  status: SessionStatus;
  created_at: number | string;
  last_activity: number | string;
  expires_at: number | string;
  ttl_ms: number | string;
}

/** An UPDATE's or DELETE's result (mysql2's ResultSetHeader, with FOUND_ROWS: matched rows). */
interface Written {
  affectedRows: number;
}

function toRow(r: Raw): StoredSession {
  // The key is VARBINARY (bytes, compared exactly); BIGINT arrives as a number (epoch
  // milliseconds fit a double exactly), or a string from a caller's pool with bigNumberStrings.
  return {
    key: typeof r.key === 'string' ? r.key : r.key.toString('utf8'),
    data: r.data,
    status: r.status,
    createdAt: Number(r.created_at),
    lastActivity: Number(r.last_activity),
    expiresAt: Number(r.expires_at),
    ttlMs: Number(r.ttl_ms),
  };
}

/** A whole number as SQL text (LIMIT and OFFSET, which servers bind unevenly). */
function int(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`not a whole number: ${n}`);
  return String(n);
}

type Statement = (sql: string, values: unknown[]) => Promise<unknown>;

/**
 * Statements on a caller's mysql2 handle or a pool opened here. Each statement is bound by the
 * server (`execute`). A read-modify-write step runs in a transaction on one connection: a
 * pool's own, checked out for it; on a single Connection every step of this backend waits for
 * the previous one, so no statement of it lands inside another's transaction.
 */
class MysqlSessionDb {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pooled: boolean;

  constructor(private readonly handle: MysqlHandle) {
    this.pooled = 'getConnection' in handle;
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    if (this.pooled) return step();
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => {});
    return run;
  }

  private static async exec<T>(on: MysqlQueryable, sql: string, values: unknown[]): Promise<T> {
    try {
      const [result] = await on.execute(sql, values as (string | number | null)[]);
      return result as T;
    } catch (e) {
      const errno = errnoOf(e);
      // A missing table, or a column a later session migration adds.
      if (errno === ER.noSuchTable || errno === ER.badField) throw missingTables(e);
      throw e;
    }
  }

  run<T>(sql: string, values: unknown[]): Promise<T> {
    return this.serial(() => MysqlSessionDb.exec<T>(this.handle, sql, values));
  }

  /** Runs `body` in one transaction, retried (up to 3 times in all) when chosen as a deadlock victim. */
  transaction<T>(body: (statement: Statement) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      for (let attempt = 1; ; attempt++) {
        const pool = this.handle as { getConnection?: () => Promise<MysqlQueryable & { release(): void }> };
        const conn = pool.getConnection ? await pool.getConnection() : null;
        const on: MysqlQueryable = conn ?? this.handle;
        try {
          await on.query('START TRANSACTION');
          try {
            const result = await body((sql, values) => MysqlSessionDb.exec(on, sql, values));
            await on.query('COMMIT');
            return result;
          } catch (e) {
            await on.query('ROLLBACK').catch(() => {});
            if (errnoOf(e) === ER.deadlock && attempt < 3) continue;
            throw e;
          }
        } finally {
          conn?.release();
        }
      }
    });
  }
}

type MysqlQueryable = Pick<mysql.Connection, 'execute' | 'query'>;

/**
 * MySQL / MariaDB session statements. Most operations are one statement; compare-and-set
 * returns the row it wrote from the same transaction (MySQL has no RETURNING).
 */
export class MysqlSessionBackend implements SessionBackend {
  readonly name = 'MySQL';
  readonly sweepBatchSize = SWEEP_BATCH;

  constructor(
    private readonly db: MysqlSessionDb,
    private readonly onClose: () => Promise<void>,
  ) {}

  async put(r: StoredSession): Promise<void> {
    await this.db.run(
      `INSERT INTO dbdoctor_sessions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE data = VALUES(data), status = VALUES(status), created_at = VALUES(created_at),
         last_activity = VALUES(last_activity), expires_at = VALUES(expires_at), ttl_ms = VALUES(ttl_ms)`,
      [r.key, r.data, r.status, r.createdAt, r.lastActivity, r.expiresAt, r.ttlMs],
    );
  }

  async find(key: string): Promise<StoredSession | undefined> {
    const rows = await this.db.run<Raw[]>(`SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE \`key\` = ?`, [
      key,
    ]);
    return rows[0] && toRow(rows[0]);
  }

  async removeIfExpired(key: string, now: number): Promise<void> {
    await this.db.run('DELETE FROM dbdoctor_sessions WHERE `key` = ? AND expires_at <= ?', [key, now]);
  }

  replaceData(
    key: string,
    expected: string,
    data: string,
    now: number,
    ttlMs: number | null,
  ): Promise<StoredSession | undefined> {
    return this.db.transaction(async (q) => {
      // expires_at first: MySQL assigns left to right, so it reads the old ttl_ms here.
      const written = (await q(
        `UPDATE dbdoctor_sessions SET data = ?, expires_at = ? + coalesce(?, ttl_ms), ttl_ms = coalesce(?, ttl_ms),
           last_activity = ?
         WHERE \`key\` = ? AND data = ? AND expires_at > ?`,
        [data, now, ttlMs, ttlMs, now, key, expected, now],
      )) as Written;
      if (written.affectedRows === 0) return undefined;
      // The row is locked by the UPDATE until COMMIT: this is the session as written.
      const rows = (await q(`SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE \`key\` = ?`, [key])) as Raw[];
      return rows[0] && toRow(rows[0]);
    });
  }

  async slide(
    key: string,
    now: number,
    ttlMs: number | null,
    status: SessionStatus | null,
  ): Promise<boolean> {
    const written = await this.db.run<Written>(
      `UPDATE dbdoctor_sessions SET expires_at = ? + coalesce(?, ttl_ms), ttl_ms = coalesce(?, ttl_ms),
         last_activity = ?, status = coalesce(?, status)
       WHERE \`key\` = ? AND expires_at > ?`,
      [now, ttlMs, ttlMs, now, status, key, now],
    );
    return written.affectedRows > 0;
  }

  async removeLive(key: string, now: number): Promise<boolean> {
    // Two statements, no transaction: an expired session goes first, then the live one, whose
    // deletion alone says whether the session was live. Of several concurrent deletes, one
    // sees the live row.
    await this.db.run('DELETE FROM dbdoctor_sessions WHERE `key` = ? AND expires_at <= ?', [key, now]);
    const written = await this.db.run<Written>(
      'DELETE FROM dbdoctor_sessions WHERE `key` = ? AND expires_at > ?',
      [key, now],
    );
    return written.affectedRows > 0;
  }

  async sweepStep(now: number, limit: number): Promise<{ removed: number; done: boolean }> {
    // In expiry order along the index: each statement locks at most `limit` rows.
    const written = await this.db.run<Written>(
      `DELETE FROM dbdoctor_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ${int(limit)}`,
      [now],
    );
    return { removed: written.affectedRows, done: written.affectedRows < limit };
  }

  async list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): Promise<StoredSession[]> {
    // The key is VARBINARY: ties in byte order, which is code point order, as everywhere.
    const rows = await this.db.run<Raw[]>(
      `SELECT ${COLUMNS} FROM dbdoctor_sessions WHERE (? IS NULL OR status = ?) AND (? = 1 OR expires_at > ?)
       ORDER BY last_activity DESC, \`key\` LIMIT ${int(limit)} OFFSET ${int(offset)}`,
      [status, status, includeExpired ? 1 : 0, now],
    );
    return rows.map(toRow);
  }

  async count(now: number): Promise<number> {
    const rows = await this.db.run<{ n: number | string }[]>(
      'SELECT count(*) AS n FROM dbdoctor_sessions WHERE expires_at > ?',
      [now],
    );
    return Number(rows[0]!.n);
  }

  async clear(): Promise<void> {
    await this.db.run('DELETE FROM dbdoctor_sessions', []);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

interface RawCounts {
  failure_times: string;
  locked_until: number | string | null;
}

const counts = (row: RawCounts | undefined): ThrottleCounts | undefined =>
  row && {
    times: JSON.parse(row.failure_times) as number[],
    lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
  };

/**
 * The login throttle's counts. A hit is one transaction: the upsert locks the key's row
 * (creating it when new), the counts are read under that lock and written back, so every
 * process's hits on one key queue on the row.
 */
function mysqlThrottle(db: MysqlSessionDb, onClose: () => Promise<void>): ThrottleBackend {
  return {
    name: 'MySQL',
    hit: (key: string, now: number, rules: ThrottleRules) =>
      db.transaction(async (q) => {
        await q(
          `INSERT INTO dbdoctor_login_attempts (\`key\`, failures, window_start, locked_until, failure_times)
           VALUES (?, 0, ?, NULL, '[]') ON DUPLICATE KEY UPDATE failures = failures`,
          [key, now],
        );
        const rows = (await q(
          'SELECT failure_times, locked_until FROM dbdoctor_login_attempts WHERE `key` = ? FOR UPDATE',
          [key],
        )) as RawCounts[];
        const after = applyFailure(counts(rows[0]), now, rules);
        await q(
          `UPDATE dbdoctor_login_attempts SET failures = ?, window_start = ?, locked_until = ?, failure_times = ?
           WHERE \`key\` = ?`,
          [after.times.length, after.times[0] ?? now, after.lockedUntil, JSON.stringify(after.times), key],
        );
        return after;
      }),
    read: async (key) =>
      counts(
        (
          await db.run<RawCounts[]>(
            'SELECT failure_times, locked_until FROM dbdoctor_login_attempts WHERE `key` = ?',
            [key],
          )
        )[0],
      ),
    reset: async (key) => void (await db.run('DELETE FROM dbdoctor_login_attempts WHERE `key` = ?', [key])),
    close: onClose,
  };
}

/** Sessions on MySQL / MariaDB: a caller's mysql2/promise Pool or Connection, or a Pool opened here. */
export const mysqlSessions: SessionStorage = {
  async open(source, options) {
    let handle: MysqlHandle;
    let close = async () => {};
    if ('handle' in source) {
      if (!isMysqlHandle(source.handle)) throw new TypeError('not a mysql2/promise Pool or Connection');
      handle = source.handle;
    } else {
      const target = source.target as MysqlTarget;
      // Connect once up front, so a wrong URL is the same DbDoctorError as for migrations, at open.
      await (await connectMysql(target)).end();
      const driver = await loadDriver(target);
      const pool = driver.createPool({
        host: target.host,
        port: target.port,
        user: target.user || undefined,
        password: target.password,
        database: target.database,
        socketPath: target.socketPath,
        ssl: target.ssl === undefined ? undefined : { rejectUnauthorized: target.ssl === 'verify' },
        charset: 'utf8mb4',
        multipleStatements: false,
        timezone: 'Z',
        supportBigNumbers: true,
        bigNumberStrings: false,
        connectionLimit: options.poolSize,
        connectTimeout: 10_000,
      });
      handle = pool;
      close = () => pool.end();
    }
    const db = new MysqlSessionDb(handle);
    return {
      sessionBackend: () => new MysqlSessionBackend(db, close),
      throttleBackend: () => mysqlThrottle(db, close),
      close,
    };
  },
};
