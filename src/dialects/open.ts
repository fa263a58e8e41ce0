import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { parseDatabaseUrl } from '../config/url.js';
import { DbDoctorError } from '../errors.js';
import type { Connection, Dialect, DialectName } from './dialect.js';
import { mysqlDialect } from './mysql/dialect.js';
import { connectMysql, MysqlConnection, type MysqlHandle } from './mysql/driver.js';
import { postgresDialect } from './postgres/dialect.js';
import { connectPostgres, PostgresConnection } from './postgres/driver.js';
import { sqliteDialect } from './sqlite/dialect.js';
import {
  type BusyWait,
  openSqliteDatabase,
  RETRYABLE_BUSY_MS,
  SqliteConnection,
  sqliteFileMissing,
} from './sqlite/driver.js';

/**
 * What a caller may pass as a database: a URL (see DESIGN.md), an open better-sqlite3
 * `Database`, a pg `Pool` or `Client`, a mysql2/promise `Connection` or `Pool`, or a dbdoctor
 * `Connection`.
 */
export type DatabaseInput = string | BetterSqlite3.Database | pg.Pool | pg.Client | MysqlHandle | Connection;

/** Options when opening from a URL. */
export interface OpenOptions {
  cwd?: string;
  busyTimeoutMs?: number;
  /** SQLite: refuse to create a database file that does not exist (read-only commands). */
  mustExist?: boolean;
  /**
   * SQLite: wait out another connection's write lock (SQLITE_BUSY) up to this policy instead
   * of failing; dbdoctor's runners pass their `--lock-timeout`. Ignored by PostgreSQL, where
   * statements wait for locks themselves.
   */
  busyWait?: BusyWait;
}

function isConnection(x: unknown): x is Connection {
  return typeof x === 'object' && x !== null && 'dialect' in x && 'exec' in x && 'begin' in x;
}

function isBetterSqlite(x: unknown): x is BetterSqlite3.Database {
  return typeof x === 'object' && x !== null && 'prepare' in x && 'pragma' in x && 'backup' in x;
}

/** mysql2/promise connections and pools have `execute`; pg's clients do not. */
function isMysqlHandle(x: unknown): x is MysqlHandle {
  return typeof x === 'object' && x !== null && 'execute' in x && 'query' in x;
}

function isPgPool(x: unknown): x is pg.Pool {
  return typeof x === 'object' && x !== null && 'connect' in x && 'totalCount' in x;
}

function isPgClient(x: unknown): x is pg.Client {
  return typeof x === 'object' && x !== null && 'query' in x && 'connect' in x && !('totalCount' in x);
}

/** The dialect object of a dialect name. */
export function dialectNamed(name: DialectName): Dialect {
  return name === 'sqlite' ? sqliteDialect : name === 'mysql' ? mysqlDialect : postgresDialect;
}

/** Which dialect a database input speaks, without opening it. */
export function dialectOfInput(input: DatabaseInput, cwd?: string): Connection['dialect']['name'] {
  if (isConnection(input)) return input.dialect.name;
  if (typeof input === 'string') return parseDatabaseUrl(input, cwd).dialect;
  return isBetterSqlite(input) ? 'sqlite' : isMysqlHandle(input) ? 'mysql' : 'postgres';
}

/** Opens (or wraps) a database and returns a dbdoctor Connection. */
export async function openConnection(input: DatabaseInput, opts: OpenOptions = {}): Promise<Connection> {
  if (isConnection(input)) return input;
  if (typeof input === 'string') {
    const target = parseDatabaseUrl(input, opts.cwd);
    if (target.dialect === 'sqlite') {
      if ((opts.mustExist || target.mode !== 'rwc') && !target.memory && sqliteFileMissing(target.file)) {
        throw new DbDoctorError('DB_NOT_FOUND', `SQLite database ${target.file} does not exist.`, {
          unchanged: 'No file was created.',
          hint: 'Check --url / DATABASE_URL, or run `dbdoctor apply` to create and migrate it.',
        });
      }
      const db = openSqliteDatabase(target.file, {
        // A runner that waits for locks itself must not sleep inside SQLite while opening.
        busyTimeoutMs: opts.busyWait
          ? Math.min(RETRYABLE_BUSY_MS, opts.busyWait.timeoutMs)
          : opts.busyTimeoutMs,
        readonly: target.mode === 'ro',
        mustExist: target.mode !== 'rwc',
      });
      return withBusyWait(new SqliteConnection(db, sqliteDialect, true), opts.busyWait);
    }
    if (target.dialect === 'mysql') {
      const client = await connectMysql(target);
      return new MysqlConnection(client, mysqlDialect, target.display, () => client.end(), target.secrets);
    }
    const client = await connectPostgres(target);
    return new PostgresConnection(
      client,
      postgresDialect,
      target.display,
      () => client.end(),
      target.secrets,
    );
  }
  if (isBetterSqlite(input)) {
    return withBusyWait(new SqliteConnection(input, sqliteDialect, false), opts.busyWait);
  }
  if (isMysqlHandle(input)) {
    if ('getConnection' in input) {
      const client = await input.getConnection();
      return new MysqlConnection(client, mysqlDialect, 'mysql (pool)', async () => client.release());
    }
    return new MysqlConnection(input, mysqlDialect, 'mysql (connection)', async () => {});
  }
  if (isPgPool(input)) {
    const client = await input.connect();
    return new PostgresConnection(client, postgresDialect, 'postgres (pool)', async () => client.release());
  }
  if (isPgClient(input)) {
    return new PostgresConnection(input, postgresDialect, 'postgres (client)', async () => {});
  }
  throw new DbDoctorError('BAD_DATABASE', 'Unsupported database value.', {
    unchanged: 'No database was opened.',
    hint: 'Pass a URL string, a better-sqlite3 Database, a pg Pool or Client, or a mysql2/promise Connection or Pool.',
  });
}

function withBusyWait(conn: SqliteConnection, busyWait: BusyWait | undefined): SqliteConnection {
  conn.busyWait = busyWait ?? null;
  return conn;
}

/** Runs `fn` inside a transaction on `conn`, rolling back if it throws. */
export async function inTransaction<T>(conn: Connection, fn: () => Promise<T>): Promise<T> {
  await conn.begin();
  try {
    const result = await fn();
    await conn.commit();
    return result;
  } catch (e) {
    await conn.rollback().catch(() => {});
    throw e;
  }
}
