import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { LockOwner, MigrationLock } from '../dialect.js';
import { waitForLock } from '../lock-wait.js';
import { quoteIdent } from './ddl.js';
import type { SqliteConnection } from './driver.js';

/** After this long without a heartbeat, a lock held from another host is considered stale. */
const FOREIGN_HOST_STALE_MS = 10 * 60_000;

interface LockRow {
  name: string;
  host: string;
  pid: number;
  token: string;
  acquired_at: string;
  heartbeat_at: string;
}

/** Is a process on this host still running? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SQLite has no advisory locks, so the lock is a row naming its owner, written inside a
 * write transaction. A row whose owner process is gone is taken over.
 */
export class SqliteLock implements MigrationLock {
  private readonly table: string;
  private readonly token = randomUUID();

  constructor(
    private readonly conn: SqliteConnection,
    historyTable: string,
  ) {
    // Qualified with main, like the history table: a TEMP table of the same name must not shadow it.
    this.table = `main.${quoteIdent(`${historyTable}_lock`)}`;
  }

  /** Is the row's owner still alive? */
  static isLive(row: Pick<LockRow, 'host' | 'pid' | 'heartbeat_at'>, now = Date.now()): boolean {
    if (row.host === os.hostname()) return processAlive(row.pid);
    return now - Date.parse(row.heartbeat_at) < FOREIGN_HOST_STALE_MS;
  }

  private ensureTable(): void {
    this.conn.db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, token TEXT NOT NULL, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL)`,
    );
  }

  /** One attempt; false while a live owner holds the lock. */
  private tryAcquire(): boolean {
    const db = this.conn.db;
    const attempt = db.transaction((): boolean => {
      // Created inside the attempt's transaction: on a new database that is one commit, not two.
      this.ensureTable();
      const row = db.prepare(`SELECT * FROM ${this.table} WHERE name = 'migrate'`).get() as
        | LockRow
        | undefined;
      if (row && row.token !== this.token && SqliteLock.isLive(row)) return false;
      const now = new Date().toISOString();
      db.prepare(
        `INSERT OR REPLACE INTO ${this.table} (name, host, pid, token, acquired_at, heartbeat_at) VALUES ('migrate', ?, ?, ?, ?, ?)`,
      ).run(os.hostname(), process.pid, this.token, now, now);
      return true;
    });
    return attempt.immediate();
  }

  async acquire(timeoutMs: number, onWait?: (owner: LockOwner | null) => void): Promise<void> {
    await waitForLock(
      async () => this.tryAcquire(),
      () => this.holder(),
      timeoutMs,
      onWait,
    );
  }

  async release(): Promise<void> {
    try {
      this.conn.db.prepare(`DELETE FROM ${this.table} WHERE token = ?`).run(this.token);
    } catch {
      // The table may be gone (a restore replaced the database); nothing to release then.
    }
  }

  async holder(): Promise<LockOwner | null> {
    try {
      const row = this.conn.db.prepare(`SELECT * FROM ${this.table} WHERE name = 'migrate'`).get() as
        | LockRow
        | undefined;
      if (!row) return null;
      return { ...toOwner(row), detail: SqliteLock.isLive(row) ? 'live' : 'stale (owner is gone)' };
    } catch {
      return null;
    }
  }
}

function toOwner(row: LockRow): LockOwner {
  return { host: row.host, pid: row.pid, since: row.acquired_at };
}
