/** Where dbdoctor's history lives on MySQL, and the session state a migration may change. */
import { DbDoctorError } from '../../errors.js';
import type { Connection, Row, SessionRestore } from '../dialect.js';

/**
 * The database (MySQL's "schema") the connection was opened on holds the history: read once per
 * session, so every bookkeeping statement names it even after a migration runs `USE other`.
 *
 * @throws DbDoctorError NO_HISTORY_SCHEMA when the session has no current database.
 */
export async function mysqlHistorySchema(conn: Connection): Promise<string> {
  const [row] = await conn.query<{ db: string | null }>('SELECT DATABASE() AS db');
  if (row?.db) return row.db;
  throw new DbDoctorError(
    'NO_HISTORY_SCHEMA',
    'The session has no current database, so dbdoctor does not know where its history table is.',
    {
      unchanged: 'Nothing was changed.',
      hint: 'Name the database in the URL: mysql://user@host:3306/dbname.',
    },
  );
}

/**
 * Session variables a migration may SET that change how later statements (dbdoctor's own and the
 * next migration's) behave. Read and written as `@@SESSION.name`. The lock waits are included:
 * `apply` sets them once for its run (EngineSql.lockTimeout) before the first capture, so a
 * migration that changes them gets the runner's values back.
 */
const SESSION_VARIABLES = [
  'sql_mode',
  'foreign_key_checks',
  'unique_checks',
  'time_zone',
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'collation_connection',
  'autocommit',
  'sql_safe_updates',
  'group_concat_max_len',
  'lock_wait_timeout',
  'innodb_lock_wait_timeout',
] as const;

type SessionState = Record<(typeof SESSION_VARIABLES)[number] | 'db', string | null>;

const STATE_COLUMNS = `DATABASE() AS db, ${SESSION_VARIABLES.map((v) => `@@SESSION.${v} AS ${v}`).join(', ')}`;

/** Connections whose server can return rows from an INSERT (MariaDB 10.5+: INSERT … RETURNING). */
const returns = new WeakMap<Connection, boolean>();

/** The state in `row` (keys as STATE_COLUMNS names them), each value as text. */
function stateOf(row: Record<string, unknown> | undefined): SessionState {
  const state = {} as SessionState;
  for (const k of ['db', ...SESSION_VARIABLES] as const) {
    const v = row?.[k];
    state[k] = v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return state;
}

async function readState(conn: Connection): Promise<SessionState> {
  const [row] = await conn.query<Record<string, unknown>>(`SELECT ${STATE_COLUMNS}, VERSION() AS version`);
  if (!returns.has(conn)) returns.set(conn, insertReturns(String(row?.version ?? '')));
  return stateOf(row);
}

/** Whether a server of this VERSION() runs INSERT … RETURNING: MariaDB from 10.5; no MySQL does. */
export function insertReturns(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+-MariaDB/i.exec(version);
  return m !== null && (Number(m[1]) > 10 || (Number(m[1]) === 10 && Number(m[2]) >= 5));
}

/** A session value as SQL: numbers plain, text as a literal that no sql_mode reads differently. */
function valueSql(value: string | null): string {
  if (value === null) return 'NULL';
  if (/^-?\d+$/.test(value)) return value;
  return `'${value.replace(/'/g, "''")}'`;
}

/** The session state each connection was last restored to (dbdoctor's own statements change none). */
const known = new WeakMap<Connection, SessionState>();

/**
 * Captures the current database and session variables; the returned function puts back those a
 * migration changed (`USE` first, then `SET SESSION` for each changed variable). On MariaDB it
 * also offers the state's select list for the history upsert after the migration to return.
 */
export async function captureMysqlSession(conn: Connection): Promise<SessionRestore> {
  const before = known.get(conn) ?? (await readState(conn));
  known.delete(conn);
  const restore = async (observed?: Row) => {
    const now = observed ? stateOf(observed) : await readState(conn);
    if (now.db !== before.db && before.db !== null)
      await conn.exec(`USE \`${before.db.replace(/`/g, '``')}\``);
    const changed = SESSION_VARIABLES.filter((v) => now[v] !== before[v]);
    if (changed.length > 0)
      await conn.exec(`SET ${changed.map((v) => `SESSION ${v} = ${valueSql(before[v])}`).join(', ')}`);
    known.set(conn, before);
  };
  return returns.get(conn) ? Object.assign(restore, { returning: STATE_COLUMNS }) : restore;
}
