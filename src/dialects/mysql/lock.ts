import { createHash } from 'node:crypto';
import os from 'node:os';
import type { LockOwner, MigrationLock } from '../dialect.js';
import { waitForLock } from '../lock-wait.js';
import type { MysqlConnection } from './driver.js';

/** GET_LOCK names are at most 64 characters (MySQL 5.7+, MariaDB). */
const MAX_LOCK_NAME = 64;

/**
 * The lock's name: user locks are server-wide, not per database, so it names the database and
 * the history table (hashed when that would be longer than the server allows).
 */
export function lockName(database: string, historyTable: string): string {
  const plain = `dbdoctor:${database}.${historyTable}`;
  if (plain.length <= MAX_LOCK_NAME) return plain;
  return `dbdoctor:${createHash('sha256').update(`${database}\0${historyTable}`).digest('hex').slice(0, 40)}`;
}

/**
 * A named user lock (GET_LOCK) held by this connection's session: the server releases it when
 * the session ends, so a runner that dies (killed, crashed, network gone) never leaves it
 * behind. Waiting polls GET_LOCK(name, 0) under the shared wait policy, so the wait is bounded
 * by --lock-timeout and the holder is named once.
 *
 * The server knows only the holder's connection id, so the holder also writes who it is (host,
 * pid, since) into the `<history>_lock` table, one row per lock name. That row only names the
 * owner: whether the lock is held is always GET_LOCK's answer, and a row whose connection no
 * longer holds the lock is ignored.
 */
export class MysqlLock implements MigrationLock {
  private name: string | null = null;
  private held = false;

  constructor(
    private readonly conn: MysqlConnection,
    private readonly historyTable: string,
  ) {}

  private get ownerTable(): string {
    return `\`${`${this.historyTable}_lock`.replace(/`/g, '``')}\``;
  }

  /** Records this runner as the owner (after GET_LOCK succeeded). */
  private async recordOwner(name: string): Promise<void> {
    await this.conn.exec(
      `CREATE TABLE IF NOT EXISTS ${this.ownerTable} (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  connection_id BIGINT NOT NULL,
  host VARCHAR(255) NOT NULL,
  pid INT NOT NULL,
  since VARCHAR(32) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    await this.conn.query(
      `REPLACE INTO ${this.ownerTable} (name, connection_id, host, pid, since) VALUES (?, CONNECTION_ID(), ?, ?, ?)`,
      [name, os.hostname(), process.pid, new Date().toISOString()],
    );
  }

  private async lockName(): Promise<string> {
    if (this.name === null) {
      const [row] = await this.conn.query<{ db: string | null }>('SELECT DATABASE() AS db');
      this.name = lockName(row?.db ?? '', this.historyTable);
    }
    return this.name;
  }

  async acquire(timeoutMs: number, onWait?: (owner: LockOwner | null) => void): Promise<void> {
    const name = await this.lockName();
    await waitForLock(
      async () => {
        const [row] = await this.conn.query<{ ok: number | null }>('SELECT GET_LOCK(?, 0) AS ok', [name]);
        this.held = Number(row?.ok) === 1;
        if (this.held) await this.recordOwner(name);
        return this.held;
      },
      () => this.holder(),
      timeoutMs,
      onWait,
    );
  }

  async release(): Promise<void> {
    if (!this.held || this.name === null) return;
    this.held = false;
    await this.conn.query('SELECT RELEASE_LOCK(?) AS ok', [this.name]).catch(() => {});
  }

  async holder(): Promise<LockOwner | null> {
    const name = await this.lockName();
    const [used] = await this.conn.query<{ id: number | string | null }>('SELECT IS_USED_LOCK(?) AS id', [
      name,
    ]);
    if (used?.id === null || used?.id === undefined) return null;
    const id = Number(used.id);
    const owners = await this.conn
      .query<{ host: string; pid: number; since: string }>(
        `SELECT host, pid, since FROM ${this.ownerTable} WHERE name = ? AND connection_id = ?`,
        [name, id],
      )
      .catch(() => []);
    const detail = `server connection id ${id} (KILL ${id} ends it and releases the lock)`;
    const owner = owners[0];
    if (owner) return { host: owner.host, pid: Number(owner.pid), since: owner.since, detail };
    // Between its GET_LOCK and its owner row: only the server's view of the connection is known.
    const rows = await this.conn
      .query<{ host: string | null; user: string | null }>(
        'SELECT HOST AS host, USER AS user FROM information_schema.PROCESSLIST WHERE ID = ?',
        [id],
      )
      .catch(() => []);
    const r = rows[0];
    return {
      host: `${r?.host ?? 'an unknown host'} (server connection id ${id}; its pid is not known yet)`,
      pid: 0,
      since: 'a moment ago',
      detail,
    };
  }
}
