/** Where dbdoctor's history lives on PostgreSQL, and the session state a migration may change. */
import { DbDoctorError } from '../../errors.js';
import type { Connection } from '../dialect.js';

/**
 * The schema that holds the history table `table`. An existing table of that name decides, in
 * whatever schema it is: `current_schema()` changes under dbdoctor when a migration runs
 * `ALTER DATABASE … SET search_path` or creates the schema named like the login role (`"$user"`
 * comes first in the default search_path), and the next run must not start a second, empty
 * history there. Only when no such table exists yet does `current_schema()` at connect decide
 * (where an unqualified CREATE TABLE would put it). Temporary and system schemas never count.
 *
 * @throws DbDoctorError HISTORY_AMBIGUOUS when tables of that name exist in several schemas;
 *   NO_HISTORY_SCHEMA when none exists and the search_path names no existing schema.
 */
export async function postgresHistorySchema(conn: Connection, table: string): Promise<string> {
  const found = await conn.query<{ s: string }>(
    `SELECT n.nspname AS s
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
        AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
      ORDER BY 1`,
    [table],
  );
  if (found.length === 1) return found[0]!.s;
  if (found.length > 1)
    throw ambiguousHistory(
      table,
      found.map((r) => r.s),
    );
  const [row] = await conn.query<{ s: string | null }>('SELECT pg_catalog.current_schema() AS s');
  if (row?.s) return row.s;
  throw new DbDoctorError(
    'NO_HISTORY_SCHEMA',
    'The session has no current schema (its search_path names no existing schema), so dbdoctor does not know where its history table is.',
    {
      unchanged: 'Nothing was changed.',
      hint: 'Connect with a search_path whose first schema exists (e.g. `?options=-c%20search_path%3Dpublic` in the URL, or ALTER ROLE … SET search_path).',
    },
  );
}

/** See {@link EngineSql.unqualifiedTarget}: `current_schema()` when it is not `schema` (default `public`). */
export async function postgresUnqualifiedTarget(
  conn: Connection,
  schema: string | undefined,
): Promise<{ landsIn: string; compared: string } | null> {
  const [row] = await conn.query<{ s: string | null }>('SELECT pg_catalog.current_schema() AS s');
  const compared = schema ?? 'public';
  // No current schema: an unqualified CREATE fails rather than landing elsewhere.
  return row?.s && row.s !== compared ? { landsIn: row.s, compared } : null;
}

function ambiguousHistory(table: string, schemas: string[]): DbDoctorError {
  const list = schemas.map((s) => `"${s}"."${table}"`).join(', ');
  return new DbDoctorError(
    'HISTORY_AMBIGUOUS',
    `There are ${schemas.length} history tables named "${table}" in this database (${list}), so dbdoctor cannot tell which one records where the database is.`,
    {
      unchanged: 'Nothing was changed; no migration was run.',
      hint: `Keep the one that is this project's history and drop or rename the others (e.g. ALTER TABLE "${schemas[1]}"."${table}" RENAME TO "${table}_old"), or give each project its own history table name (historyTable in the config file).`,
      details: { table, schemas },
    },
  );
}

interface SessionState {
  /** Settings SET in this session (source `session`), by name, as current_setting shows them. */
  settings: Record<string, string>;
  role: string;
  authorization: string;
}

async function readState(conn: Connection): Promise<SessionState> {
  const [row] = await conn.query<{ settings: Record<string, string>; role: string; auth: string }>(
    `SELECT coalesce(pg_catalog.json_object_agg(name, pg_catalog.current_setting(name)) FILTER (WHERE source = 'session'), '{}') AS settings,
            pg_catalog.current_setting('role') AS role,
            pg_catalog.current_setting('session_authorization') AS auth
       FROM pg_catalog.pg_settings`,
  );
  return { settings: row!.settings, role: row!.role, authorization: row!.auth };
}

/**
 * Captures the session state and returns what restores it: `SET SESSION AUTHORIZATION`, then
 * `SET ROLE`, then every setting the migration SET, each put back to its value at capture, and a
 * setting first SET by the migration back to its reset value (the one from the connection URL,
 * the role or the server). Settings the connection had before are left as they were: no RESET ALL.
 */
export async function capturePostgresSession(conn: Connection): Promise<() => Promise<void>> {
  // After a restore the session is in the state it restored, so the next migration's capture
  // needs no read of its own: one read of pg_settings per migration instead of two.
  const before = known.get(conn) ?? (await readState(conn));
  known.delete(conn);
  return async () => {
    const now = await readState(conn);
    const set = (name: string, value: string) =>
      conn.query('SELECT pg_catalog.set_config($1, $2, false)', [name, value]);
    // Authorization first: changing it resets the role, and the role decides what may be SET.
    if (now.authorization !== before.authorization) await set('session_authorization', before.authorization);
    if (now.role !== before.role || now.authorization !== before.authorization)
      await set('role', before.role);
    for (const [name, value] of Object.entries(now.settings)) {
      const old = before.settings[name];
      if (old === value) continue;
      if (old !== undefined) await set(name, old);
      else await conn.exec(`RESET ${quoteSettingName(name)}`);
    }
    known.set(conn, before);
  };
}

/** The session state each connection was last restored to (dbdoctor's own statements change none). */
const known = new WeakMap<Connection, SessionState>();

/** A setting name for RESET: each dot-separated part quoted (custom settings look like `app.tenant`). */
function quoteSettingName(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');
}
