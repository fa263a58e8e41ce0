/** Where dbdoctor's history lives on MySQL, and the session state a migration may change. */
import { DbDoctorError } from '../../errors.js';
import type { Connection } from '../dialect.js';

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

const READ_STATE = `SELECT DATABASE() AS db, ${SESSION_VARIABLES.map((v) => `@@SESSION.${v} AS ${v}`).join(', ')}`;

async function readState(conn: Connection): Promise<SessionState> {
  const [row] = await conn.query<Record<string, unknown>>(READ_STATE);
  const state = {} as SessionState;
  for (const [k, v] of Object.entries(row ?? {}))
    (state as Record<string, string | null>)[k] = v === null ? null : String(v);
  return state;
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
 * migration changed (`USE` first, then `SET SESSION` for each changed variable).
 */
export async function captureMysqlSession(conn: Connection): Promise<() => Promise<void>> {
  const before = known.get(conn) ?? (await readState(conn));
  known.delete(conn);
  return async () => {
    const now = await readState(conn);
    if (now.db !== before.db && before.db !== null)
      await conn.exec(`USE \`${before.db.replace(/`/g, '``')}\``);
    const changed = SESSION_VARIABLES.filter((v) => now[v] !== before[v]);
    if (changed.length > 0)
      await conn.exec(`SET ${changed.map((v) => `SESSION ${v} = ${valueSql(before[v])}`).join(', ')}`);
    known.set(conn, before);
  };
}
