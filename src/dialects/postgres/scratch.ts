import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { DbDoctorError, errorMessage } from '../../errors.js';
import { processAlive } from '../../host.js';
import type {
  Connection,
  Dialect,
  Row,
  ScratchDatabase,
  ScratchOptions,
  SkippedStatement,
} from '../dialect.js';
import { clusterWideReason, withoutPasswords } from './cluster-statements.js';
import { loadPg, PostgresConnection } from './driver.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { splitPostgresStatements } from './split.js';

/** Prefix of every scratch database, so a leftover one is recognisable. */
export const SCRATCH_PREFIX = 'dbdoctor_scratch_';

/**
 * `dbdoctor_scratch_<pid>_<host tag>_<random>`: the owner's pid and host are in the name
 * itself, so they exist from the instant the database does (a comment comes one statement later).
 */
const SCRATCH_NAME = /^dbdoctor_scratch_(\d+)_([0-9a-f]{8})_[0-9a-f]{8}$/;

/** A scratch database of another host is left alone unless no one uses it for this long (ms). */
const FOREIGN_LEFTOVER_AGE_MS = 24 * 60 * 60 * 1000;

/** The parameters pg resolved for a client (host, port, user, password, ssl). */
interface ClientParameters {
  host?: string;
  port?: number;
  user?: string;
  password?: string | (() => string | Promise<string>);
  ssl?: unknown;
}

function parametersOf(conn: PostgresConnection): ClientParameters {
  const params = (conn.client as unknown as { connectionParameters?: ClientParameters }).connectionParameters;
  return params ?? {};
}

function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
}

async function newClient(params: ClientParameters, database: string): Promise<pg.Client> {
  const { Client } = await loadPg('a scratch database');
  const client = new Client({
    host: params.host,
    port: params.port,
    user: params.user,
    password: params.password as string | undefined,
    ssl: params.ssl as pg.ClientConfig['ssl'],
    database,
    application_name: 'dbdoctor scratch',
  });
  client.on('error', () => {});
  return client;
}

// Scratch databases of this process that exist right now, and how to reach their server: a
// SIGINT or SIGTERM drops them before the process ends.
const alive = new Map<string, { params: ClientParameters; admin: string }>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

async function dropOnSignal(signal: NodeJS.Signals): Promise<void> {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  for (const [name, { params, admin }] of alive) {
    const client = await newClient(params, admin);
    try {
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      alive.delete(name);
    } catch {
      // The next doctor removes what could not be dropped now (see removeLeftovers).
    } finally {
      await client.end().catch(() => {});
    }
  }
  // Ends the process the way the signal would have, unless the program handles it itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function onSignal(signal: NodeJS.Signals): void {
  void dropOnSignal(signal);
}

function track(name: string, params: ClientParameters, admin: string): void {
  if (alive.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  alive.set(name, { params, admin });
}

function untrack(name: string): void {
  alive.delete(name);
  if (alive.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}

interface LeftoverRow extends Row {
  name: string;
  marker: string | null;
  sessions: number;
}

/**
 * Drops scratch databases left by doctors that were killed (SIGKILL, power loss): on this host,
 * those whose process is gone; of another host, those nobody has been connected to for a day.
 * Never one whose owner may still run. Returns the names dropped.
 */
export async function removeLeftovers(conn: PostgresConnection): Promise<string[]> {
  const rows = await conn.query<LeftoverRow>(
    `SELECT d.datname AS name, pg_catalog.shobj_description(d.oid, 'pg_database') AS marker,
       (SELECT count(*)::int FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid) AS sessions
     FROM pg_catalog.pg_database d WHERE d.datname LIKE 'dbdoctor\\_scratch\\_%'`,
  );
  const here = hostTag();
  const removed: string[] = [];
  for (const r of rows) {
    const m = SCRATCH_NAME.exec(r.name);
    if (!m) continue;
    const pid = Number(m[1]);
    let stale: boolean;
    if (m[2] === here) stale = pid !== process.pid && !processAlive(pid);
    else stale = r.sessions === 0 && markerAge(r.marker) > FOREIGN_LEFTOVER_AGE_MS;
    if (!stale) continue;
    try {
      await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(r.name)} WITH (FORCE)`);
      removed.push(r.name);
    } catch {
      // Not ours to drop (another owner) or already gone: leave it.
    }
  }
  return removed;
}

function markerAge(marker: string | null): number {
  try {
    const started = Date.parse((JSON.parse(marker ?? '') as { started?: string }).started ?? '');
    return Number.isNaN(started) ? 0 : Date.now() - started;
  } catch {
    return 0;
  }
}

/**
 * A connection to a scratch database on the live cluster that does not run statements whose
 * effect would leave it (roles, tablespaces, other databases, server configuration, server
 * files): each is recorded in `skipped` instead.
 */
class ConfinedConnection extends PostgresConnection {
  constructor(
    client: pg.Client,
    dialect: Dialect,
    display: string,
    private readonly database: string,
    readonly skipped: SkippedStatement[],
  ) {
    super(client, dialect, display, async () => {});
  }

  private confined(sql: string): boolean {
    const reason = clusterWideReason(sql, this.database);
    if (reason === null) return false;
    this.skipped.push({ statement: withoutPasswords(sql).trim(), reason });
    return true;
  }

  override async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    if (this.confined(sql)) return [];
    return super.query<R>(sql, params);
  }

  override async exec(sql: string): Promise<void> {
    const statements = splitPostgresStatements(sql);
    if (!statements.some((s) => clusterWideReason(s, this.database) !== null)) return super.exec(sql);
    for (const s of statements) if (!this.confined(s)) await super.exec(s);
  }
}

/**
 * Creates an empty database on the server `conn` is connected to and connects to it. `dispose`
 * disconnects and drops it (WITH FORCE, so a stuck session cannot keep it alive); so does a
 * SIGINT or SIGTERM, and a later doctor drops one left by a killed process. Unless
 * `options.isolated` (the server is a scratch server of its own), statements that would
 * change the cluster are skipped and listed in `skipped`.
 */
export async function createPostgresScratch(
  connection: Connection,
  dialect: Dialect,
  options: ScratchOptions = {},
): Promise<ScratchDatabase> {
  const conn = connection as PostgresConnection;
  const removedLeftovers = await removeLeftovers(conn).catch(() => []);
  const name = `${SCRATCH_PREFIX}${process.pid}_${hostTag()}_${randomBytes(4).toString('hex')}`;
  const params = parametersOf(conn);
  const [{ admin }] = await conn.query<{ admin: string }>('SELECT current_database() AS admin');
  track(name, params, admin);
  try {
    await conn.exec(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  } catch (e) {
    untrack(name);
    throw new DbDoctorError(
      'SCRATCH_UNAVAILABLE',
      `Cannot create a scratch database to replay the migrations in: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was changed.',
        hint: 'The doctor replays migrations into a throwaway database and drops it after; grant CREATEDB to this user (ALTER ROLE ... CREATEDB), run the doctor as a user that has it, or give it a scratch server with --scratch-url.',
        cause: e,
      },
    );
  }
  const marker = JSON.stringify({
    tool: 'dbdoctor doctor',
    pid: process.pid,
    host: os.hostname(),
    started: new Date().toISOString(),
  });
  await conn.exec(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${quoteLiteral(marker)}`).catch(() => {});
  const client = await newClient(params, name);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await client.end().catch(() => {});
    await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    untrack(name);
  };
  try {
    await client.connect();
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
  // The scratch database is thrown away: its commits need not wait for the disk.
  await client.query('SET synchronous_commit = off').catch(() => {});
  const skipped: SkippedStatement[] = [];
  const display = `postgres scratch ${name}`;
  const scratchConn = options.isolated
    ? new PostgresConnection(client, dialect, display, async () => {})
    : new ConfinedConnection(client, dialect, display, name, skipped);
  return { conn: scratchConn, dispose, skipped, removedLeftovers };
}
