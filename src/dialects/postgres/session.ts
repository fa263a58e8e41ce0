/** Where dbdoctor's history lives on PostgreSQL, and the session state a migration may change. */
import { DbDoctorError } from '../../errors.js';
import type { Connection } from '../dialect.js';

/**
 * `current_schema()` when the session opens: the schema an unqualified CREATE TABLE used before
 * dbdoctor qualified its names, so existing histories stay where they are.
 */
export async function postgresHistorySchema(conn: Connection): Promise<string> {
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
