import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { Connection, Dialect, ScratchDatabase } from '../dialect.js';
import { quoteIdent } from './ddl.js';
import { PostgresConnection } from './driver.js';

/** Prefix of every scratch database, so a leftover one is recognisable. */
export const SCRATCH_PREFIX = 'dbdoctor_scratch_';

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

/**
 * Creates an empty database on the same server as `conn` and connects to it. `dispose`
 * disconnects and drops it (WITH FORCE, so a stuck session cannot keep it alive).
 */
export async function createPostgresScratch(
  connection: Connection,
  dialect: Dialect,
): Promise<ScratchDatabase> {
  const conn = connection as PostgresConnection;
  const name = `${SCRATCH_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await conn.exec(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  } catch (e) {
    throw new DbDoctorError(
      'SCRATCH_UNAVAILABLE',
      `Cannot create a scratch database to replay the migrations in: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was changed.',
        hint: 'The doctor replays migrations into a throwaway database and drops it after; grant CREATEDB to this user (ALTER ROLE ... CREATEDB), or run the doctor as a user that has it.',
        cause: e,
      },
    );
  }
  const pgModule = await import('pg');
  const { Client } = (pgModule.default ?? pgModule) as typeof pg;
  const params = parametersOf(conn);
  const client = new Client({
    host: params.host,
    port: params.port,
    user: params.user,
    password: params.password as string | undefined,
    ssl: params.ssl as pg.ClientConfig['ssl'],
    database: name,
    application_name: 'dbdoctor scratch',
  });
  client.on('error', () => {});
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await client.end().catch(() => {});
    await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
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
  const scratchConn = new PostgresConnection(client, dialect, `postgres scratch ${name}`, async () => {});
  return { conn: scratchConn, dispose };
}
