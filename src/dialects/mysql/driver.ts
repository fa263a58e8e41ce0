import type * as mysql from 'mysql2/promise';
import { conceal } from '../../config/url.js';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { Connection, Dialect, Row } from '../dialect.js';
import { splitMysqlStatements } from './split.js';
import type { MysqlTarget } from './url.js';

/** Loads mysql2 only when a MySQL database is actually opened; it is an optional dependency. */
export async function loadDriver(target: Pick<MysqlTarget, 'display'>): Promise<typeof mysql> {
  try {
    const mod = await import('mysql2/promise');
    return ((mod as unknown as { default?: typeof mysql }).default ?? mod) as typeof mysql;
  } catch (e) {
    throw new DbDoctorError(
      'DRIVER_MISSING',
      `Cannot open ${target.display}: the MySQL driver (the npm package mysql2) is not installed.`,
      {
        unchanged: 'No database was opened.',
        hint: 'Install it next to dbdoctor: npm install mysql2',
        cause: e,
      },
    );
  }
}

/**
 * Opens one mysql2 connection: one statement per call (multipleStatements off, so a statement
 * can never carry a second one), UTC for dates, big integers as strings when they do not fit.
 * Throws `DB_NOT_FOUND`, `DB_AUTH_FAILED` or `DB_UNREACHABLE`, naming `target.display` only.
 */
/**
 * Client flags taken away from mysql2's defaults. IGNORE_SPACE makes the server add IGNORE_SPACE
 * to the session's sql_mode, which every trigger, routine and event then stores as the mode it
 * was created under: objects made by dbdoctor would differ from the same objects made by the
 * mysql client, Flyway or a restore, and the doctor compares that mode.
 */
export const MYSQL_CLIENT_FLAGS: readonly string[] = ['-IGNORE_SPACE'];

export async function connectMysql(target: MysqlTarget): Promise<mysql.Connection> {
  const driver = await loadDriver(target);
  try {
    const conn = await driver.createConnection({
      host: target.host,
      port: target.port,
      user: target.user || undefined,
      password: target.password,
      database: target.database,
      socketPath: target.socketPath,
      ssl: target.ssl === undefined ? undefined : { rejectUnauthorized: target.ssl === 'verify' },
      multipleStatements: false,
      flags: [...MYSQL_CLIENT_FLAGS],
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      connectTimeout: 10_000,
    });
    // A connection whose server goes away emits 'error'; without a listener Node would crash.
    conn.on('error', () => {});
    return conn;
  } catch (e) {
    throw (
      describeMysqlError(e, target, false) ??
      new DbDoctorError(
        'DB_UNREACHABLE',
        `Cannot connect to MySQL at ${target.display}: ${conceal(errorMessage(e), target.secrets)}`,
        {
          unchanged: 'Nothing was changed.',
          hint: 'Check that the server is running and that the host, port, user and database name are right.',
        },
      )
    );
  }
}

/** Server error numbers (MySQL and MariaDB share them; mysqld_error.h). */
export const ER = {
  accessDenied: 1045,
  dbAccessDenied: 1044,
  accessDeniedNoPassword: 1698,
  badDb: 1049,
  noSuchTable: 1146,
  badField: 1054,
  deadlock: 1213,
  lockWaitTimeout: 1205,
  optionPreventsStatement: 1290,
  readOnlyTransaction: 1792,
  readOnlyMode: 1836,
  diskFull: 1021,
  tableFull: 1114,
  tooManyConnections: 1040,
  serverShutdown: 1053,
  connectionKilled: 1927,
  clientDisconnected: 4031,
} as const;

/** Client-side codes (mysql2 and Node's sockets) that mean no server answers. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'ENOENT', // a socket path that does not exist
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/** The server's error number of a mysql2 error, or undefined. */
export function errnoOf(e: unknown): number | undefined {
  const n = (e as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/**
 * A DbDoctorError for mysql2 errors about the server, the login or the database's state rather
 * than the SQL; null for any other error. The driver's text goes through `conceal`.
 */
export function describeMysqlError(
  e: unknown,
  target: { display: string; secrets: readonly string[] },
  /** False while connecting: no statement can have run, so nothing was changed. */
  connected = true,
): DbDoctorError | null {
  const errno = errnoOf(e);
  const code = (e as { code?: unknown } | null)?.code;
  const said = conceal(errorMessage(e), target.secrets).replace(/\.$/, '');
  const at = target.display;
  if (errno === ER.badDb) {
    return new DbDoctorError('DB_NOT_FOUND', `MySQL at ${at}: ${said}.`, {
      unchanged: 'Nothing was changed; no database was created.',
      hint: 'Check the database name in --url / DATABASE_URL, or create it first (CREATE DATABASE name).',
    });
  }
  if (errno === ER.accessDenied || errno === ER.dbAccessDenied || errno === ER.accessDeniedNoPassword) {
    return new DbDoctorError('DB_AUTH_FAILED', `MySQL at ${at} refused the login: ${said}.`, {
      unchanged: 'Nothing was changed.',
      hint: "Check the user and password in the URL, and that the server's grants allow this user from this host on this database.",
    });
  }
  if (
    errno === ER.readOnlyTransaction ||
    errno === ER.readOnlyMode ||
    (errno === ER.optionPreventsStatement && /read.only/i.test(said))
  ) {
    return new DbDoctorError('DB_READONLY', `MySQL at ${at} is read-only: ${said}.`, {
      unchanged: 'The statement was refused; nothing it would have written was written.',
      hint: 'Point --url at the primary server (not a replica), or turn off read_only for it.',
    });
  }
  if (errno === ER.diskFull || errno === ER.tableFull || /errno: 28|No space left/i.test(said)) {
    return new DbDoctorError('DB_FULL', `MySQL at ${at} is out of space: ${said}.`, {
      unchanged: 'The statement that hit the limit was not completed.',
      hint: 'Free disk space on the database server (or raise the table size limit), then run the command again.',
    });
  }
  const unreachable =
    errno === ER.tooManyConnections ||
    errno === ER.serverShutdown ||
    errno === ER.connectionKilled ||
    errno === ER.clientDisconnected ||
    (typeof code === 'string' && UNREACHABLE_CODES.has(code)) ||
    /closed state|Connection lost|server has gone away/i.test(said);
  if (unreachable) {
    return new DbDoctorError('DB_UNREACHABLE', `Cannot reach MySQL at ${at}: ${said}.`, {
      unchanged: connected
        ? 'The server rolls back an unfinished transaction when its connection ends; statements that had finished (MySQL commits DDL at once) stay done.'
        : 'Nothing was changed: no connection was made.',
      hint: 'Check that the server is running and that the host and port are right, then run `dbdoctor status`.',
    });
  }
  return null;
}

/** A mysql2 connection, or one checked out of a mysql2 pool (with `release`). */
export type MysqlQueryable = Pick<mysql.Connection, 'query' | 'execute'>;

/** A Connection over one mysql2 connection. */
export class MysqlConnection implements Connection {
  readonly file = null;

  constructor(
    readonly client: MysqlQueryable,
    readonly dialect: Dialect,
    readonly display: string,
    private readonly onClose: () => Promise<void>,
    private readonly secrets: readonly string[] = [],
  ) {}

  describeError(error: unknown): DbDoctorError | null {
    return describeMysqlError(error, { display: this.display, secrets: this.secrets });
  }

  /**
   * Parameters are bound by the server (a prepared statement), never spliced into the text:
   * client-side escaping would depend on the session's sql_mode (NO_BACKSLASH_ESCAPES), which a
   * migration may change.
   */
  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const bound = params.length === 0 ? null : positional(sql, params);
    const [rows] =
      bound === null
        ? await this.client.query(sql)
        : await this.client.execute(bound.sql, bound.values as (string | number | null)[]);
    return Array.isArray(rows) ? (rows as R[]) : [];
  }

  /** Runs each statement of `sql` in turn (the server takes one per call). */
  async exec(sql: string): Promise<void> {
    const statements = splitMysqlStatements(sql);
    for (const statement of statements) await this.client.query(statement);
  }

  async begin(): Promise<void> {
    await this.client.query('START TRANSACTION');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  async inTransaction(): Promise<boolean> {
    const [rows] = await this.client.query('SELECT @@in_transaction AS t');
    return Number((rows as { t: unknown }[])[0]?.t) === 1;
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

/**
 * What a caller may pass as an open MySQL database: a mysql2/promise Connection, or a Pool
 * (one connection is checked out and released on close). Structural, so that dbdoctor's types
 * do not require mysql2 to be installed.
 */
export type MysqlHandle =
  | MysqlQueryable
  | (MysqlQueryable & { getConnection(): Promise<MysqlQueryable & { release(): void }> });

/** Opens a new mysql2 connection for a parsed URL; closing the Connection ends it. */
export async function openMysql(dialect: Dialect, target: MysqlTarget): Promise<MysqlConnection> {
  const client = await connectMysql(target);
  return new MysqlConnection(client, dialect, target.display, () => client.end(), target.secrets);
}

/**
 * Whether `x` is a mysql2/promise Connection or Pool. They have `execute` and `query`; pg's
 * clients have no `execute`, better-sqlite3 has no `query`.
 */
export function isMysqlHandle(x: unknown): x is MysqlHandle {
  return typeof x === 'object' && x !== null && 'execute' in x && 'query' in x;
}

/** Wraps a caller's mysql2 Pool (one connection checked out, released on close) or Connection (left open). */
export async function wrapMysql(dialect: Dialect, handle: MysqlHandle): Promise<MysqlConnection> {
  if ('getConnection' in handle) {
    const client = await handle.getConnection();
    return new MysqlConnection(client, dialect, 'mysql (pool)', async () => client.release());
  }
  return new MysqlConnection(handle, dialect, 'mysql (connection)', async () => {});
}

/**
 * PostgreSQL-style `$1` placeholders rewritten to MySQL's `?`, with the values in the order
 * they are used, so one parameterized statement in a function migration runs on every
 * dialect. Quotes, backticks and comments are skipped; text without `$n` is left as it is.
 */
export function positional(sql: string, values: readonly unknown[]): { sql: string; values: unknown[] } {
  let out = '';
  const used: unknown[] = [];
  let found = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && c !== '`') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-')) {
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const j = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, j);
      i = j;
    } else {
      const m = c === '$' ? /^\$(\d+)/.exec(sql.slice(i, i + 12)) : null;
      if (m) {
        found = true;
        used.push(values[Number(m[1]) - 1]);
        out += '?';
        i += m[0].length;
      } else {
        out += c;
        i++;
      }
    }
  }
  // mysql2 refuses undefined as a bind value; it means NULL everywhere else.
  const bound = (found ? used : [...values]).map((v) => (v === undefined ? null : v));
  return { sql: found ? out : sql, values: bound };
}
