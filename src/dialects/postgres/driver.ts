import type pg from 'pg';
import { redact } from '../../config/url.js';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { Connection, Dialect, Row } from '../dialect.js';

/** Loads pg only when a PostgreSQL database is actually opened. */
async function loadDriver(): Promise<typeof pg> {
  const mod = await import('pg');
  return (mod.default ?? mod) as typeof pg;
}

/** Opens a new pg Client from a connection string. */
export async function connectPostgres(connectionString: string): Promise<pg.Client> {
  const { Client } = await loadDriver();
  const client = new Client({
    connectionString,
    application_name: 'dbdoctor',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client whose server goes away emits 'error'; without a listener Node would crash.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new DbDoctorError(
      'DB_UNREACHABLE',
      `Cannot connect to PostgreSQL at ${redact(connectionString)}: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was changed.',
        hint: 'Check that the server is running, the host, port, user and database name are right, and that the database exists.',
        cause: e,
      },
    );
  }
  return client;
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
  ) {}

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
