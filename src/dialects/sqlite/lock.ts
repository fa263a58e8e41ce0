import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { DbDoctorError } from '../../errors.js';
import { processAlive } from '../../host.js';
import type { LockOptions, LockOwner, MigrationLock } from '../dialect.js';
import { waitForLock } from '../lock-wait.js';
import { isSqliteBusy, type SqliteConnection } from './driver.js';
import { quoteIdent } from './quote.js';

/** Default lease of the lock row: how long it stays valid without renewal. */
export const DEFAULT_LOCK_LEASE_MS = 30_000;

/** Rows written before leases existed carry no expiry: they expire this long after their heartbeat. */
const LEGACY_STALE_MS = 10 * 60_000;

/** Longest a single try waits for SQLite's write lock; the rest of the wait is async backoff. */
const TRY_BUSY_MS = 100;

interface LockRow {
  name: string;
  host: string;
  pid: number;
  token: string;
  acquired_at: string;
  heartbeat_at: string;
  expires_at: string | null;
  pid_ns: string | null;
}

/**
 * This process's PID namespace (`pid:[4026531836]`), or null where there are none (not Linux).
 * Two processes can judge each other's pid only when host name and namespace are both equal:
 * containers may share a host name, and pid 1 is alive in every namespace.
 */
function readPidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

const OWN_PID_NAMESPACE = readPidNamespace();

/**
 * SQLite has no advisory locks, so the lock is a row naming its owner (host, pid, PID
 * namespace) with a lease (`expires_at`), written inside a write transaction. The row's owner
 * counts as gone when it is certainly dead (same host and PID namespace, pid not running), or,
 * when it cannot be checked that way, when its lease expired. The holder renews the lease on a
 * timer while idle and inside every transaction it commits, so a lease never runs out under a
 * long transaction: while one runs, its write lock keeps everyone else from taking the row.
 */
export class SqliteLock implements MigrationLock {
  private readonly table: string;
  private readonly token = randomUUID();
  private readonly leaseMs: number;
  private renewTimer: NodeJS.Timeout | null = null;
  /** When the lease was last written (ms since the epoch). */
  private renewedAt = 0;
  private columnsChecked = false;
  /** The lock table's own name (unquoted), for catalog reads. */
  private readonly tableName: string;

  constructor(
    private readonly conn: SqliteConnection,
    historyTable: string,
    options: LockOptions = {},
  ) {
    // Qualified with main, like the history table: a TEMP table of the same name must not shadow it.
    this.tableName = `${historyTable}_lock`;
    this.table = `main.${quoteIdent(this.tableName)}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
    if (!(this.leaseMs >= 1)) {
      throw new DbDoctorError('BAD_USAGE', `The lock lease must be at least 1 ms (got ${this.leaseMs}).`, {
        unchanged: 'Nothing was done.',
        hint: 'Use --lock-lease 30s (the default), or longer than your slowest single statement.',
      });
    }
  }

  /** Is the row's owner still alive (or not certainly gone)? */
  static isLive(
    row: Pick<LockRow, 'host' | 'pid' | 'heartbeat_at' | 'expires_at' | 'pid_ns'>,
    now = Date.now(),
  ): boolean {
    if (row.host === os.hostname() && (row.pid_ns ?? null) === OWN_PID_NAMESPACE)
      return processAlive(row.pid);
    const expires = row.expires_at
      ? Date.parse(row.expires_at)
      : Date.parse(row.heartbeat_at) + LEGACY_STALE_MS;
    // An unreadable expiry is not proof of death.
    return !(expires <= now);
  }

  private ensureTable(): void {
    const db = this.conn.db;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, token TEXT NOT NULL, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, expires_at TEXT, pid_ns TEXT)`,
    );
    if (this.columnsChecked) return;
    // Lock tables made before leases existed get the new columns.
    const have = new Set(
      (
        db.prepare("SELECT name FROM pragma_table_info(?, 'main')").all(this.tableName) as { name: string }[]
      ).map((c) => c.name),
    );
    for (const column of ['expires_at', 'pid_ns'])
      if (!have.has(column)) db.exec(`ALTER TABLE ${this.table} ADD COLUMN ${column} TEXT`);
  }

  private readRow(): LockRow | undefined {
    return this.conn.db.prepare(`SELECT * FROM ${this.table} WHERE name = 'migrate'`).get() as
      | LockRow
      | undefined;
  }

  /**
   * One attempt: true when taken (then `replaced` names a gone owner whose row was taken
   * over), false while a live owner holds the row or another connection holds SQLite's write
   * lock. Waits at most `TRY_BUSY_MS` for that write lock; the caller backs off between tries.
   */
  private tryAcquire(remainingMs: number): { taken: boolean; replaced: LockRow | null } {
    const db = this.conn.db;
    const attempt = db.transaction((): { taken: boolean; replaced: LockRow | null } => {
      // Created inside the attempt's transaction: on a new database that is one commit, not two.
      this.ensureTable();
      const row = this.readRow();
      if (row && row.token !== this.token && SqliteLock.isLive(row)) return { taken: false, replaced: null };
      const now = Date.now();
      db.prepare(
        `INSERT OR REPLACE INTO ${this.table} (name, host, pid, token, acquired_at, heartbeat_at, expires_at, pid_ns) VALUES ('migrate', ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        os.hostname(),
        process.pid,
        this.token,
        new Date(now).toISOString(),
        new Date(now).toISOString(),
        new Date(now + this.leaseMs).toISOString(),
        OWN_PID_NAMESPACE,
      );
      return { taken: true, replaced: row && row.token !== this.token ? row : null };
    });
    const previous = Number(db.pragma('busy_timeout', { simple: true }));
    db.pragma(`busy_timeout = ${Math.max(0, Math.min(previous, TRY_BUSY_MS, Math.ceil(remainingMs)))}`);
    try {
      const result = attempt.immediate();
      this.columnsChecked = true;
      return result;
    } catch (e) {
      // Another connection holds the write lock (a runner mid-migration, or any writer): not yet.
      if (isSqliteBusy(e)) return { taken: false, replaced: null };
      throw e;
    } finally {
      db.pragma(`busy_timeout = ${previous}`);
    }
  }

  async acquire(
    timeoutMs: number,
    onWait?: (owner: LockOwner | null) => void,
    onTakeover?: (previous: LockOwner) => void,
  ): Promise<void> {
    await waitForLock(
      async (remainingMs) => {
        const { taken, replaced } = this.tryAcquire(remainingMs);
        if (taken && replaced) onTakeover?.(describe(replaced));
        return taken;
      },
      () => this.holder(),
      timeoutMs,
      onWait,
    );
    this.startRenewing();
  }

  /** Keeps the lease alive: on a timer while idle, and in a transaction before COMMIT when it is due. */
  private startRenewing(): void {
    this.renewedAt = Date.now();
    // A commit renews only once a third of the lease has passed: until then the lease cannot
    // have run out, so no one can have taken over, and most commits write nothing extra.
    this.conn.beforeCommit = () => {
      if (Date.now() - this.renewedAt >= this.leaseMs / 3) this.renew();
    };
    // Outside a transaction nothing else keeps another runner out: always verify.
    this.conn.lockCheck = () => this.renew();
    this.renewTimer = setInterval(
      () => {
        // Inside a transaction the write it holds already keeps others out; COMMIT renews.
        if (this.conn.db.open && !this.conn.db.inTransaction) {
          try {
            this.renew();
          } catch {
            // A failed renewal is retried on the next tick; COMMIT checks ownership anyway.
          }
        }
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    this.conn.beforeCommit = null;
    this.conn.lockCheck = null;
  }

  /**
   * Extends the lease; throws `LOCK_LOST` when the row is no longer ours (it was taken over
   * after our lease ran out), so a transaction about to commit rolls back instead.
   */
  private renew(): void {
    const now = Date.now();
    const changed = this.conn.db
      .prepare(
        `UPDATE ${this.table} SET heartbeat_at = ?, expires_at = ? WHERE name = 'migrate' AND token = ?`,
      )
      .run(new Date(now).toISOString(), new Date(now + this.leaseMs).toISOString(), this.token).changes;
    if (changed > 0) this.renewedAt = now;
    if (changed === 0) {
      // The checks stay installed: every later commit or statement must fail the same way.
      if (this.renewTimer) clearInterval(this.renewTimer);
      this.renewTimer = null;
      throw new DbDoctorError(
        'LOCK_LOST',
        'This runner lost the migration lock: its lease ran out and another runner took it over.',
        {
          unchanged: 'The transaction in progress was rolled back.',
          hint: 'Run `dbdoctor status` to see where the database is, then apply again; raise --lock-lease if a single statement runs longer than the lease.',
        },
      );
    }
  }

  async release(): Promise<void> {
    this.stopRenewing();
    try {
      this.conn.db.prepare(`DELETE FROM ${this.table} WHERE token = ?`).run(this.token);
    } catch {
      // The table may be gone (a restore replaced the database); nothing to release then.
    }
  }

  async holder(): Promise<LockOwner | null> {
    try {
      const row = this.readRow();
      return row ? describe(row) : null;
    } catch {
      return null;
    }
  }
}

function describe(row: LockRow): LockOwner {
  const live = SqliteLock.isLive(row);
  const certain = row.host === os.hostname() && (row.pid_ns ?? null) === OWN_PID_NAMESPACE;
  return {
    host: row.host,
    pid: row.pid,
    since: row.acquired_at,
    expires: row.expires_at ?? undefined,
    live,
    detail: live
      ? 'live'
      : certain
        ? 'stale (owner is gone)'
        : `stale (owner is gone: lease expired at ${row.expires_at ?? `${row.heartbeat_at} + 10 min`})`,
  };
}
