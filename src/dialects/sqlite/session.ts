/** The connection state a SQLite migration may change that the runner depends on. */
import type { Connection } from '../dialect.js';
import { quoteIdent } from './quote.js';

async function attachedNames(conn: Connection): Promise<Set<string>> {
  const rows = await conn.query<{ name: string }>('PRAGMA database_list');
  return new Set(rows.map((r) => r.name));
}

async function queryOnly(conn: Connection): Promise<number> {
  const [row] = await conn.query<{ query_only: number }>('PRAGMA query_only');
  return Number(row?.query_only ?? 0);
}

/**
 * Captures the attached databases and `query_only`, and returns what puts them back: a database
 * a migration ATTACHed is DETACHed, and `query_only` (which would make every later history
 * write fail) is restored. `foreign_keys` is handled around each migration by the runner itself.
 * The history and lock tables are always qualified with `main`, so neither an ATTACHed database
 * nor a TEMP table of the same name can stand in for them.
 */
export async function captureSqliteSession(conn: Connection): Promise<() => Promise<void>> {
  const attached = await attachedNames(conn);
  const readOnly = await queryOnly(conn);
  return async () => {
    for (const name of await attachedNames(conn)) {
      // temp appears once a TEMP object exists; it cannot be detached (and is not an ATTACH).
      if (!attached.has(name) && name !== 'temp') await conn.exec(`DETACH DATABASE ${quoteIdent(name)}`);
    }
    if ((await queryOnly(conn)) !== readOnly) await conn.exec(`PRAGMA query_only = ${readOnly}`);
  };
}
