import type { LockOwner, MigrationLock } from '../dialect.js';
import { waitForLock } from '../lock-wait.js';
import { type PostgresConnection, runnerOfApplicationName } from './driver.js';

/** First advisory-lock key: "dbdc" as an int32, so dbdoctor's locks are recognisable. */
const LOCK_CLASS = 0x64626463;

/** A stable int32 from the history table name, so two histories in one database do not collide. */
export function lockKey(historyTable: string): number {
  let h = 0x811c9dc5;
  for (const ch of historyTable) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * A session-level advisory lock, released by the server when the process dies. Waiting is done
 * by polling `pg_try_advisory_lock`, never a blocking `pg_advisory_lock`: a blocked waiter
 * holds a snapshot, and `CREATE INDEX CONCURRENTLY` run by the holder would wait for it forever.
 */
export class PostgresLock implements MigrationLock {
  private readonly key: number;
  private held = false;

  constructor(
    private readonly conn: PostgresConnection,
    historyTable: string,
  ) {
    this.key = lockKey(historyTable);
  }

  async acquire(timeoutMs: number, onWait?: (owner: LockOwner | null) => void): Promise<void> {
    await waitForLock(
      async () => {
        const [row] = await this.conn.query<{ ok: boolean }>(
          'SELECT pg_catalog.pg_try_advisory_lock($1, $2) AS ok',
          [LOCK_CLASS, this.key],
        );
        this.held = row?.ok === true;
        return this.held;
      },
      () => this.holder(),
      timeoutMs,
      onWait,
    );
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.conn
      .query('SELECT pg_catalog.pg_advisory_unlock($1, $2)', [LOCK_CLASS, this.key])
      .catch(() => {});
  }

  async holder(): Promise<LockOwner | null> {
    const rows = await this.conn.query<{
      pid: number;
      client_addr: string | null;
      application_name: string;
      backend_start: Date;
    }>(
      `SELECT a.pid, a.client_addr::text AS client_addr, a.application_name, a.backend_start
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int = $1 AND l.objid::int = $2 AND l.objsubid = 2
          -- Advisory locks are per database; pg_locks shows every database's.
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LOCK_CLASS, this.key],
    );
    const r = rows[0];
    if (!r) return null;
    const since = new Date(r.backend_start).toISOString();
    const runner = runnerOfApplicationName(r.application_name ?? '');
    // A dbdoctor runner says who it is; another connection is known only by its backend.
    if (runner) return { ...runner, since, kind: 'runner', detail: `server backend pid ${r.pid}` };
    return {
      host: r.client_addr ?? 'local socket',
      pid: r.pid,
      since,
      kind: 'connection',
      detail: `server backend pid ${r.pid}, application ${r.application_name || '(none)'}`,
    };
  }
}
