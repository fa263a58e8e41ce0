import os from 'node:os';
import type pg from 'pg';
import { conceal } from '../../config/url.js';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { Connection, Dialect, Row } from '../dialect.js';
import { missingPackageError } from '../optional-package.js';
import type { PostgresTarget } from './url.js';

/** Loads pg only when a PostgreSQL database is actually opened; DRIVER_MISSING without it. */
export async function loadPg(display: string): Promise<typeof pg> {
  try {
    const mod = await import('pg');
    return (mod.default ?? mod) as typeof pg;
  } catch (e) {
    throw missingPackageError(e, 'pg', {
      code: 'DRIVER_MISSING',
      message: `Cannot open ${display}: the PostgreSQL driver`,
      unchanged: 'No database was opened.',
    });
  }
}

/**
 * The application_name a runner's connection carries (`dbdoctor pid 4242 on build-7`, at most
 * the server's 63 bytes): pg_stat_activity then says which runner holds the migration lock,
 * not only which server backend. Read back by {@link runnerOfApplicationName}.
 */
export function runnerApplicationName(): string {
  return `dbdoctor pid ${process.pid} on ${os.hostname()}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 63);
}

/** The runner an application_name written by {@link runnerApplicationName} names, or null. */
export function runnerOfApplicationName(name: string): { pid: number; host: string } | null {
  const m = /^dbdoctor pid (\d+) on (.+)$/.exec(name);
  return m ? { pid: Number(m[1]), host: m[2]! } : null;
}

/** Where to connect: the parts of a parsed URL ({@link PostgresTarget}) pg needs. */
export type PostgresConnectTarget = Pick<PostgresTarget, 'connectionString' | 'display' | 'secrets'>;

/**
 * Opens a new pg Client. Throws `DB_NOT_FOUND` (no such database), `DB_AUTH_FAILED` (login
 * refused) or `DB_UNREACHABLE` (no server answers), naming `target.display` only.
 */
export async function connectPostgres(target: PostgresConnectTarget): Promise<pg.Client> {
  const { Client } = await loadPg(target.display);
  let client: pg.Client | undefined;
  try {
    client = new Client({
      connectionString: target.connectionString,
      application_name: runnerApplicationName(),
      connectionTimeoutMillis: 10_000,
    });
    // An idle client whose server goes away emits 'error'; without a listener Node would crash.
    client.on('error', () => {});
    await client.connect();
  } catch (e) {
    await client?.end().catch(() => {});
    throw (
      describePostgresError(e, target) ??
      new DbDoctorError(
        'DB_UNREACHABLE',
        `Cannot connect to PostgreSQL at ${target.display}: ${conceal(errorMessage(e), target.secrets)}`,
        {
          unchanged: 'Nothing was changed.',
          hint: 'Check that the server is running and that the host, port, user and database name are right.',
        },
      )
    );
  }
  return client;
}

/** SQLSTATE classes and codes that mean "the database cannot be used" (PG docs, Appendix A). */
const SQLSTATE = {
  noSuchDatabase: '3D000',
  badPassword: '28P01',
  badAuthorization: '28000',
  readOnlyTransaction: '25006',
  diskFull: '53100',
  tooManyConnections: '53300',
} as const;

/** Node socket errors that mean no server answered at that address. */
const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * A DbDoctorError for pg errors about the server, the login or the database's state rather
 * than the SQL; null for any other error. The driver's text goes through `conceal`, since pg
 * quotes what it was given (a host or user name can be a mistyped password).
 */
export function describePostgresError(
  e: unknown,
  target: Pick<PostgresTarget, 'display' | 'secrets'>,
): DbDoctorError | null {
  const code = (e as { code?: unknown })?.code;
  const said = conceal(errorMessage(e), target.secrets);
  const at = target.display;
  if (code === SQLSTATE.noSuchDatabase) {
    return new DbDoctorError('DB_NOT_FOUND', `PostgreSQL at ${at}: ${said}.`, {
      unchanged: 'Nothing was changed; no database was created.',
      hint: 'Check the database name in --url / DATABASE_URL, or create it first (createdb NAME, or CREATE DATABASE NAME).',
    });
  }
  if (code === SQLSTATE.badPassword || code === SQLSTATE.badAuthorization) {
    return new DbDoctorError('DB_AUTH_FAILED', `PostgreSQL at ${at} refused the login: ${said}.`, {
      unchanged: 'Nothing was changed.',
      hint: "Check the user and password (URL, PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf rules for this host.",
    });
  }
  if (code === SQLSTATE.readOnlyTransaction) {
    return new DbDoctorError('DB_READONLY', `PostgreSQL at ${at} is read-only: ${said}.`, {
      unchanged: 'Nothing was written: the transaction was rolled back.',
      hint: 'Point --url at the primary server (not a standby), or unset default_transaction_read_only for this user or database.',
    });
  }
  if (code === SQLSTATE.diskFull) {
    return new DbDoctorError('DB_FULL', `PostgreSQL at ${at} is out of disk space: ${said}.`, {
      unchanged: 'Nothing was written: the transaction was rolled back.',
      hint: 'Free disk space on the database server, then run the command again.',
    });
  }
  const unreachable =
    code === SQLSTATE.tooManyConnections ||
    (typeof code === 'string' &&
      (code.startsWith('08') || code.startsWith('57P') || UNREACHABLE_ERRNO.has(code))) ||
    /timeout expired|Connection terminated/i.test(said);
  if (unreachable) {
    return new DbDoctorError('DB_UNREACHABLE', `Cannot reach PostgreSQL at ${at}: ${said}.`, {
      unchanged:
        'Nothing was changed: the server rolls back an unfinished transaction when its connection ends.',
      hint: 'Check that the server is running and that the host and port are right.',
    });
  }
  return null;
}

/** Anything with pg's query method: a Client or a PoolClient. */
export type PgQueryable = Pick<pg.Client, 'query'>;

/** A Connection over one pg client (a Client, or a client checked out of a Pool). */
export class PostgresConnection implements Connection {
  readonly file = null;

  constructor(
    readonly client: PgQueryable,
    readonly dialect: Dialect,
    readonly display: string,
    private readonly onClose: () => Promise<void>,
    private readonly secrets: readonly string[] = [],
  ) {}

  describeError(error: unknown): DbDoctorError | null {
    return describePostgresError(error, { display: this.display, secrets: this.secrets });
  }

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.client.query(sql, params as unknown[]);
    return result.rows as R[];
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  async inTransaction(): Promise<boolean> {
    // pg keeps the status of the server's last ReadyForQuery message (I idle, T in a
    // transaction block, E in a failed one): no round trip.
    const client = this.client as PgQueryable & { getTransactionStatus?: () => string | null };
    const status = typeof client.getTransactionStatus === 'function' ? client.getTransactionStatus() : null;
    if (status === 'I' || status === 'T' || status === 'E') return status !== 'I';
    return this.probeTransaction();
  }

  /** SAVEPOINT fails with 25P01 outside a transaction block and 25P02 in a failed one. */
  private async probeTransaction(): Promise<boolean> {
    try {
      await this.client.query('SAVEPOINT dbdoctor_probe');
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '25P01') return false;
      if (code === '25P02') return true;
      throw e;
    }
    await this.client.query('RELEASE SAVEPOINT dbdoctor_probe');
    return true;
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

/** Opens a new client for a parsed PostgreSQL URL; closing the connection ends it. */
export async function openPostgres(dialect: Dialect, target: PostgresTarget): Promise<PostgresConnection> {
  const client = await connectPostgres(target);
  return new PostgresConnection(client, dialect, target.display, () => client.end(), target.secrets);
}

function isPgPool(x: unknown): x is pg.Pool {
  return typeof x === 'object' && x !== null && 'connect' in x && 'totalCount' in x;
}

/**
 * `connectionParameters` is pg's own: other drivers' connections also have `query` and
 * `connect` (a mysql2 Connection does), and must not be taken for a pg Client.
 */
function isPgClient(x: unknown): x is pg.Client {
  return (
    typeof x === 'object' &&
    x !== null &&
    'query' in x &&
    'connect' in x &&
    'connectionParameters' in x &&
    !('totalCount' in x)
  );
}

/** Whether `x` is a pg Pool or Client. */
export function isPgHandle(x: unknown): x is pg.Pool | pg.Client {
  return isPgPool(x) || isPgClient(x);
}

/**
 * Wraps a caller's pg Pool (one client checked out, released on close) or Client (left open
 * on close).
 */
export async function wrapPostgres(
  dialect: Dialect,
  handle: pg.Pool | pg.Client,
): Promise<PostgresConnection> {
  if (isPgPool(handle)) {
    const client = await handle.connect();
    return new PostgresConnection(client, dialect, 'postgres (pool)', async () => client.release());
  }
  return new PostgresConnection(handle, dialect, 'postgres (client)', async () => {});
}
