import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import type * as mysql from 'mysql2/promise';
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
import { errnoOf, MYSQL_CLIENT_FLAGS, MysqlConnection } from './driver.js';
import { withoutPasswords } from './history.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { type DatabaseNames, retarget, serverWideReason, withoutDefiner } from './server-statements.js';
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
    flags: [...MYSQL_CLIENT_FLAGS],
    timezone: 'Z',
    supportBigNumbers: true,
  });
  client.on('error', () => {});
  return client;
}

/**
 * `dbdoc_<pid>_<host tag>_<random>`: the throwaway account of the scratch database with the same
 * `<pid>_<host tag>_<random>` (at most 31 characters: MySQL allows 32). A leftover is recognised
 * by this name, as its database is.
 */
const ACCOUNT_NAME = /^dbdoc_(\d+)_([0-9a-f]{8})_([0-9a-f]{8})$/;

function accountFor(database: string): string {
  return database.replace(/^dbdoctor_scratch_/, 'dbdoc_');
}

/** Whether a scratch object named with this pid and host tag belongs to a doctor that is gone. */
function ownerGone(pid: number, tag: string): boolean {
  return tag === hostTag() && pid !== process.pid && !processAlive(pid);
}

/**
 * Drops scratch databases and accounts left by doctors that were killed: on this host, those
 * whose process is gone; of another host, databases created more than a day ago and accounts
 * whose database is gone. Returns what was dropped, in words.
 */
export async function removeLeftovers(conn: MysqlConnection): Promise<string[]> {
  // Accounts are read before databases: an account is made after its database, so one read
  // here has its database in the list below unless both are being dropped.
  // (Reading mysql.user needs a privilege an account that cannot create accounts rarely has.)
  const accounts = await conn
    .query<{ user: string; host: string }>(
      "SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE 'dbdoc\\_%'",
    )
    .catch(() => []);
  const rows = await conn.query<{ name: string; created: string | Date | null }>(
    `SELECT s.SCHEMA_NAME AS name, (SELECT MIN(t.CREATE_TIME) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME) AS created
       FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME LIKE 'dbdoctor\\_scratch\\_%'`,
  );
  const removed: string[] = [];
  const remaining = new Set<string>();
  for (const r of rows) {
    const m = SCRATCH_NAME.exec(r.name);
    if (!m) continue;
    const stale =
      m[2] === hostTag()
        ? ownerGone(Number(m[1]), m[2])
        : r.created !== null && Date.now() - new Date(r.created).getTime() > FOREIGN_LEFTOVER_AGE_MS;
    if (!stale) {
      remaining.add(r.name);
      continue;
    }
    try {
      await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(r.name)}`);
      removed.push(r.name);
      // Its account, when mysql.user could not be read to list it (below): made from this host.
      if (accounts.length === 0)
        await conn
          .exec(`DROP USER IF EXISTS ${accountOf(accountFor(r.name), await clientHost(conn))}`)
          .catch(() => {});
    } catch {
      // Not ours to drop, or already gone: leave it.
      remaining.add(r.name);
    }
  }
  for (const a of accounts) {
    const user = String(a.user);
    const m = ACCOUNT_NAME.exec(user);
    if (!m) continue;
    const [pid, tag] = [Number(m[1]), m[2]!];
    const ownerMayRun = tag === hostTag() && (pid === process.pid || processAlive(pid));
    // The account is dropped before its database: one whose database is gone is a leftover.
    const orphan = !remaining.has(`dbdoctor_scratch_${m[1]}_${m[2]}_${m[3]}`);
    if (ownerMayRun || !(ownerGone(pid, tag) || orphan)) continue;
    const account = accountOf(user, String(a.host));
    try {
      await conn.exec(`DROP USER IF EXISTS ${account}`);
      removed.push(`account ${account}`);
    } catch {
      // Not ours to drop: leave it.
    }
  }
  return removed;
}

function accountOf(user: string, host: string): string {
  return `${quoteIdent(user)}@${quoteIdent(host)}`;
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

/** The access-denied errors of the server (MariaDB's and MySQL's error lists, mysqld_error.h). */
const ACCESS_DENIED = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR: access denied to database
  1045, // ER_ACCESS_DENIED_ERROR (also a missing FILE privilege)
  1095, // ER_KILL_DENIED_ERROR: not owner of thread
  1131, // ER_PASSWORD_ANONYMOUS_USER
  1132, // ER_PASSWORD_NOT_ALLOWED: changing others' passwords
  1142, // ER_TABLEACCESS_DENIED_ERROR
  1143, // ER_COLUMNACCESS_DENIED_ERROR
  1211, // ER_NO_PERMISSION_TO_CREATE_USER
  1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR: SUPER, CREATE USER, FILE, ... needed
  1370, // ER_PROCACCESS_DENIED_ERROR
  1410, // ER_CANT_CREATE_USER_WITH_GRANT
  1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
]);

function accessDenied(e: unknown): boolean {
  const n = errnoOf(e);
  return n !== undefined && ACCESS_DENIED.has(n);
}

/**
 * How the replay is kept inside its scratch database: by the server (`account`: it runs as a
 * throwaway account with privileges on the scratch database only), or, when the doctor's own
 * account cannot create one, by reading each statement's tokens (`statements`).
 */
type Confinement = ({ kind: 'account'; account: string } | { kind: 'statements' }) & {
  names: DatabaseNames;
  /** The live database, whose name in a qualified name means the scratch database (see retarget). */
  live: string | null;
};

/**
 * A connection to the scratch database that runs nothing reaching beyond it: what the server
 * refuses for lack of privilege is listed in `skipped` (never a failure), and so is what the
 * token check finds when the replay runs as the doctor's own account. Listed statements are
 * masked (EngineSql.maskSecrets) and never run anywhere else.
 */
class ConfinedConnection extends ScratchConnection {
  constructor(
    client: mysql.Connection,
    dialect: Dialect,
    display: string,
    onClose: () => Promise<void>,
    readonly skipped: SkippedStatement[],
    private readonly confinement: Confinement,
  ) {
    super(client, dialect, display, onClose);
  }

  private skip(sql: string, reason: string): void {
    this.skipped.push({ statement: withoutPasswords(sql).trim(), reason });
  }

  /** Runs `run` unless the token check stops `sql`; a refusal for lack of privilege is a skip. */
  private async confined<T>(original: string, run: (sql: string) => Promise<T>, none: T): Promise<T> {
    const { live, names } = this.confinement;
    const sql = live === null ? original : retarget(original, live, names);
    if (this.confinement.kind === 'statements') {
      const reason = serverWideReason(sql, names);
      if (reason !== null) {
        this.skip(original, reason);
        return none;
      }
    }
    try {
      return await run(sql);
    } catch (e) {
      if (!accessDenied(e)) throw e;
      // DEFINER = another account needs SET USER (SUPER): the object is made with the replay's
      // account as its definer instead, which the doctor does not compare.
      const plain = withoutDefiner(sql);
      if (plain !== null) {
        try {
          return await run(plain);
        } catch (again) {
          if (!accessDenied(again)) throw again;
        }
      }
      const whose =
        this.confinement.kind === 'account'
          ? "the replay's account, which may use the scratch database only"
          : 'this user';
      this.skip(original, `the server refused it to ${whose}: ${errorMessage(e)}`);
      return none;
    }
  }

  override async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.confined(sql, (s) => super.query<R>(s, params), [] as R[]);
  }

  override async exec(sql: string): Promise<void> {
    for (const s of splitMysqlStatements(sql)) await this.confined(s, (x) => super.exec(x), undefined);
  }
}

/** The live database's default character set and collation, or null when the session has none. */
async function defaultsOf(conn: Connection): Promise<{ charset: string; collation: string } | null> {
  const [row] = await conn.query<{ charset: string | null; collation: string | null }>(
    `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
       FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()`,
  );
  return row?.charset && row.collation
    ? { charset: String(row.charset), collation: String(row.collation) }
    : null;
}

/**
 * Creates the scratch database with the live database's defaults, so that a table the
 * migrations create without naming a character set gets the one it got on the live database.
 * A scratch server that does not know that collation (another server kind) gets its own.
 */
async function createDatabase(conn: MysqlConnection, name: string, live: Connection): Promise<void> {
  const defaults = live.dialect.name === conn.dialect.name ? await defaultsOf(live).catch(() => null) : null;
  if (defaults) {
    try {
      await conn.exec(
        `CREATE DATABASE ${quoteIdent(name)} DEFAULT CHARACTER SET ${quoteIdent(defaults.charset)} COLLATE ${quoteIdent(defaults.collation)}`,
      );
      return;
    } catch (e) {
      // 1115 unknown character set, 1273 unknown collation: the scratch server is another build.
      if (errnoOf(e) !== 1115 && errnoOf(e) !== 1273) throw e;
    }
  }
  await conn.exec(`CREATE DATABASE ${quoteIdent(name)}`);
}

/** The host part of the account the server sees this connection as (`USER()`), for an account it will match again. */
async function clientHost(conn: MysqlConnection): Promise<string> {
  const [row] = await conn.query<{ u: string }>('SELECT USER() AS u');
  const u = String(row?.u ?? '');
  return u.slice(u.lastIndexOf('@') + 1);
}

/**
 * Makes the throwaway account of the scratch database `name` (all privileges on it, nothing
 * else) and connects as it; null, with nothing left behind, when the doctor's account cannot.
 */
async function connectAsThrowaway(
  conn: MysqlConnection,
  name: string,
): Promise<{ client: mysql.Connection; account: string; drop: () => Promise<void> } | null> {
  const user = accountFor(name);
  let account: string;
  try {
    account = accountOf(user, await clientHost(conn));
  } catch {
    return null;
  }
  // Random, and with every kind of character a password policy (validate_password) asks for.
  const password = `${randomBytes(18).toString('base64url')}aA1!`;
  const drop = async () => {
    await conn.exec(`DROP USER IF EXISTS ${account}`);
  };
  try {
    await conn.exec(`CREATE USER ${account} IDENTIFIED BY ${quoteLiteral(password)}`);
  } catch {
    return null;
  }
  try {
    // In a GRANT's database name `_` and `%` are wildcards (MySQL manual, "GRANT Statement"):
    // unescaped, the account could create and fill any database whose name fits the pattern
    // (dbdoctor-scratch-…), which would outlive the doctor. Escaped, it is this database only.
    await conn.exec(`GRANT ALL PRIVILEGES ON ${quoteIdent(name.replace(/[_%\\]/g, '\\$&'))}.* TO ${account}`);
    const client = await connectTo({ ...serverConfigOf(conn), user, password }, name);
    return { client, account, drop };
  } catch {
    await drop().catch(() => {});
    return null;
  }
}

/** The server's databases as the doctor's account sees them, and how the server compares their names. */
async function databaseNames(conn: MysqlConnection, scratch: string): Promise<DatabaseNames> {
  const [mode] = await conn.query<{ l: number | string }>('SELECT @@lower_case_table_names AS l');
  const caseSensitive = Number(mode?.l ?? 0) === 0;
  const fold = (n: string) => (caseSensitive ? n : n.toLowerCase());
  const rows = await conn.query<{ Database: string }>('SHOW DATABASES');
  return { scratch, databases: new Set(rows.map((r) => fold(String(r.Database)))), fold };
}

/**
 * Creates an empty database on the server `conn` is on, named after this process, with the
 * live database's default character set and collation, and connects to it; `dispose` drops it.
 * A later doctor drops one left by a killed process. Unless `options.isolated`, the replay runs
 * as a throwaway account that may use that database only (dropped with it), so the server
 * refuses whatever would leave it; when the doctor's account cannot create accounts, statements
 * are checked by their tokens instead ({@link serverWideReason}). Either way, what does not run
 * is listed in `skipped`, and `confinement` says which of the two kept the replay in.
 */
export async function createMysqlScratch(
  conn: MysqlConnection,
  dialect: Dialect,
  options: ScratchOptions = {},
): Promise<ScratchDatabase> {
  const removedLeftovers = await removeLeftovers(conn).catch(() => []);
  const name = `dbdoctor_scratch_${process.pid}_${hostTag()}_${randomBytes(4).toString('hex')}`;
  try {
    await createDatabase(conn, name, options.live ?? conn);
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
  let dropAccount: (() => Promise<void>) | null = null;
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await client?.end().catch(() => {});
    // The account goes first: an account without its database is a leftover (removeLeftovers).
    await dropAccount?.().catch(() => {});
    await conn.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  };
  let confinement: Confinement | null = null;
  try {
    if (!options.isolated) {
      const names = await databaseNames(conn, name);
      const [row] = await (options.live ?? conn).query<{ db: string | null }>('SELECT DATABASE() AS db');
      const live = row?.db ? String(row.db) : null;
      const throwaway = await connectAsThrowaway(conn, name);
      if (throwaway) {
        client = throwaway.client;
        dropAccount = throwaway.drop;
        confinement = { kind: 'account', account: throwaway.account, names, live };
      } else confinement = { kind: 'statements', names, live };
    }
    client ??= await connectTo(serverConfigOf(conn), name);
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
  const scratchConn =
    confinement === null
      ? new ScratchConnection(client, dialect, display, keepOpen)
      : new ConfinedConnection(client, dialect, display, keepOpen, skipped, confinement);
  return { conn: scratchConn, dispose, skipped, removedLeftovers, confinement: describe(confinement) };
}

function describe(confinement: Confinement | null): string | undefined {
  if (confinement === null) return undefined;
  if (confinement.kind === 'account')
    return `by the server: the replay ran as the throwaway account ${confinement.account}, which may use the scratch database only (dropped with it)`;
  return "by a check of each statement's tokens: this user cannot create accounts (CREATE USER), so the replay ran as this user, and statements naming another database, accounts, server settings, foreign servers, plugins, files or SQL built at run time were not run. GRANT CREATE USER ON *.* to this user to have the server confine the replay, or use --scratch-url";
}
