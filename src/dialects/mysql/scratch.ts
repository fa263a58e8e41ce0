import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import type * as mysql from 'mysql2/promise';
import { DbDoctorError, errorMessage } from '../../errors.js';
import { processAlive } from '../../host.js';
import type { Dialect, Row, ScratchDatabase, ScratchOptions, SkippedStatement } from '../dialect.js';
import { MysqlConnection } from './driver.js';
import { quoteIdent } from './quote.js';
import { splitMysqlStatements } from './split.js';

/**
 * `dbdoctor_scratch_<pid>_<host tag>_<random>`: the owner's pid and host are in the name, so a
 * later doctor can tell a leftover of a killed process (same host, pid gone) from a live one.
 */
const SCRATCH_NAME = /^dbdoctor_scratch_(\d+)_([0-9a-f]{8})_[0-9a-f]{8}$/;

/** A scratch database of another host is left alone unless it is this old (by its creation time). */
const FOREIGN_LEFTOVER_AGE_MS = 24 * 60 * 60 * 1000;

function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
}

/** What opens a second connection to the server `conn` is on (from mysql2's resolved config). */
interface ServerConfig {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  socketPath?: string;
  ssl?: unknown;
}

function serverConfigOf(conn: MysqlConnection): ServerConfig {
  const c = (conn.client as unknown as { config?: ServerConfig }).config ?? {};
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    socketPath: c.socketPath,
    ssl: c.ssl,
  };
}

async function connectTo(config: ServerConfig, database: string): Promise<mysql.Connection> {
  const mod = await import('mysql2/promise');
  const driver = ((mod as unknown as { default?: typeof mysql }).default ?? mod) as typeof mysql;
  const client = await driver.createConnection({
    ...(config as mysql.ConnectionOptions),
    database,
    multipleStatements: false,
    timezone: 'Z',
    supportBigNumbers: true,
  });
  client.on('error', () => {});
  return client;
}

/**
 * Drops scratch databases left by doctors that were killed: on this host, those whose process is
 * gone; of another host, those created more than a day ago. Returns the names dropped.
 */
export async function removeLeftovers(conn: MysqlConnection): Promise<string[]> {
  const rows = await conn.query<{ name: string; created: string | Date | null }>(
    `SELECT s.SCHEMA_NAME AS name, (SELECT MIN(t.CREATE_TIME) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME) AS created
       FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME LIKE 'dbdoctor\\_scratch\\_%'`,
  );
  const here = hostTag();
  const removed: string[] = [];
  for (const r of rows) {
    const m = SCRATCH_NAME.exec(r.name);
    if (!m) continue;
    const pid = Number(m[1]);
    const stale =
      m[2] === here
        ? pid !== process.pid && !processAlive(pid)
        : r.created !== null && Date.now() - new Date(r.created).getTime() > FOREIGN_LEFTOVER_AGE_MS;
    if (!stale) continue;
    try {
      await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(r.name)}`);
      removed.push(r.name);
    } catch {
      // Not ours to drop, or already gone: leave it.
    }
  }
  return removed;
}

/**
 * Why a statement's effect would reach beyond the scratch database (accounts, server settings,
 * other databases, server files), or null when it stays inside.
 */
export function serverWideReason(sql: string): string | null {
  const text = sql
    .replace(/\/\*(?![!M])[\s\S]*?\*\//g, ' ')
    .replace(/(^|\n)\s*(#|-- )[^\n]*/g, '\n')
    .trim()
    .toUpperCase()
    .replace(/\s+/g, ' ');
  if (
    /^(CREATE|DROP|ALTER|RENAME) (USER|ROLE)\b/.test(text) ||
    /^(GRANT|REVOKE|SET PASSWORD|SET DEFAULT ROLE)\b/.test(text)
  )
    return 'it manages accounts or privileges, which belong to the whole server';
  if (/^SET (GLOBAL|PERSIST|PERSIST_ONLY)\b|^SET @@(GLOBAL|PERSIST)/.test(text))
    return 'it changes a server-wide setting';
  if (/^(CREATE|DROP|ALTER) (DATABASE|SCHEMA)\b/.test(text)) return 'it creates, changes or drops a database';
  if (/^USE\b/.test(text)) return 'it switches to another database';
  if (/^(INSTALL|UNINSTALL) (PLUGIN|SONAME|COMPONENT)\b|^(FLUSH|PURGE|RESET|KILL|SHUTDOWN)\b/.test(text))
    return 'it acts on the whole server';
  if (/^(CHANGE (MASTER|REPLICATION)|START (SLAVE|REPLICA)|STOP (SLAVE|REPLICA))\b/.test(text))
    return 'it changes replication';
  if (/\bINTO (OUT|DUMP)FILE\b|^LOAD (DATA|XML)\b/.test(text))
    return 'it reads or writes files on the server';
  return null;
}

/**
 * A connection to a scratch database that keeps every statement it runs, in order, so the
 * replay can re-read only what they touched (introspect.ts). Everything a migration runs in
 * the replay goes through `query` and `exec`: the SQL files' statements, the DSL's compiled
 * ones and a function migration's `db.sql`/`db.query`.
 */
export class ScratchConnection extends MysqlConnection {
  /** Every statement sent to the server through this connection (never one that was skipped). */
  readonly ran: string[] = [];

  override async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    this.ran.push(sql);
    return super.query<R>(sql, params);
  }

  override async exec(sql: string): Promise<void> {
    for (const s of splitMysqlStatements(sql)) {
      this.ran.push(s);
      await super.exec(s);
    }
  }
}

/** A connection to the scratch database that skips statements reaching beyond it (listed in `skipped`). */
class ConfinedConnection extends ScratchConnection {
  constructor(
    client: mysql.Connection,
    dialect: Dialect,
    display: string,
    onClose: () => Promise<void>,
    readonly skipped: SkippedStatement[],
  ) {
    super(client, dialect, display, onClose);
  }

  private confined(sql: string): boolean {
    const reason = serverWideReason(sql);
    if (reason === null) return false;
    this.skipped.push({ statement: sql.trim(), reason });
    return true;
  }

  override async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    if (this.confined(sql)) return [];
    return super.query<R>(sql, params);
  }

  override async exec(sql: string): Promise<void> {
    for (const s of splitMysqlStatements(sql)) if (!this.confined(s)) await super.exec(s);
  }
}

/**
 * Creates an empty database on the server `conn` is on, named after this process, and connects
 * to it; `dispose` drops it. A later doctor drops one left by a killed process. Unless
 * `options.isolated`, statements whose effect would leave it are skipped and listed.
 */
export async function createMysqlScratch(
  conn: MysqlConnection,
  dialect: Dialect,
  options: ScratchOptions = {},
): Promise<ScratchDatabase> {
  const removedLeftovers = await removeLeftovers(conn).catch(() => []);
  const name = `dbdoctor_scratch_${process.pid}_${hostTag()}_${randomBytes(4).toString('hex')}`;
  try {
    await conn.exec(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (e) {
    throw new DbDoctorError(
      'SCRATCH_UNAVAILABLE',
      `Cannot create a scratch database to replay the migrations in: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was changed.',
        hint: 'The doctor replays migrations into a throwaway database and drops it after; GRANT CREATE, DROP ON `dbdoctor\\_scratch\\_%`.* TO this user, or give it a scratch server with --scratch-url.',
        cause: e,
      },
    );
  }
  let client: mysql.Connection | null = null;
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await client?.end().catch(() => {});
    await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  };
  try {
    client = await connectTo(serverConfigOf(conn), name);
  } catch (e) {
    await dispose().catch(() => {});
    throw new DbDoctorError(
      'SCRATCH_UNAVAILABLE',
      `Cannot connect to the scratch database ${name}: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was changed; the scratch database was dropped.',
        hint: 'Check that this user may connect to newly created databases on the server.',
        cause: e,
      },
    );
  }
  const skipped: SkippedStatement[] = [];
  const display = `mysql scratch ${name}`;
  const keepOpen = async () => {};
  const scratchConn = options.isolated
    ? new ScratchConnection(client, dialect, display, keepOpen)
    : new ConfinedConnection(client, dialect, display, keepOpen, skipped);
  return { conn: scratchConn, dispose, skipped, removedLeftovers };
}
