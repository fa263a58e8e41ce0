/**
 * Whether SQLite can still compile a view or a trigger. CREATE VIEW and CREATE TRIGGER do not
 * resolve names (sqlite.org/lang_createview.html, lang_createtrigger.html), and DROP TABLE does
 * not look at the views that read the table, so a schema can hold a view or trigger that fails
 * the first time it is used: every query of the view, or every write to the table. A trigger's
 * body is compiled only when a statement that fires it is prepared, so it is probed with such
 * statements, made harmless by `WHERE 0`.
 */
import { errorMessage } from '../../errors.js';
import type { Connection } from '../dialect.js';
import { tokenize } from './create-sql.js';
import { quoteIdent as q } from './quote.js';

/** A view or trigger as `sqlite_schema` holds it. */
export interface Dependent {
  type: 'view' | 'trigger';
  name: string;
  /** The table or view a trigger is attached to (a view's own name for a view). */
  tbl_name: string;
  sql: string;
}

/** Every view and trigger of the main schema. */
export async function viewsAndTriggers(conn: Connection): Promise<Dependent[]> {
  return conn.query<Dependent & Record<string, unknown>>(
    "SELECT type, name, tbl_name, sql FROM main.sqlite_schema WHERE type IN ('view', 'trigger') AND sql IS NOT NULL",
  );
}

/** Columns of `table` that store data: SQLite's `hidden` is 0 (1 virtual-table hidden, 2/3 generated). */
export async function storedColumns(conn: Connection, table: string): Promise<string[]> {
  const rows = await conn.query<{ name: string; hidden: number }>(
    'SELECT name, hidden FROM pragma_table_xinfo(?)',
    [table],
  );
  return rows.filter((r) => Number(r.hidden) === 0).map((r) => r.name);
}

/** INSERT, UPDATE or DELETE: the event a CREATE TRIGGER fires on (null if unreadable). */
function triggerEvent(sql: string): 'INSERT' | 'UPDATE' | 'DELETE' | null {
  const tokens = tokenize(sql);
  const at = tokens.findIndex((t) => t.kind === 'word' && t.text === 'TRIGGER');
  // The first event keyword after the trigger's name (token at + 1, or after IF NOT EXISTS).
  for (const t of tokens.slice(at + 2)) {
    if (t.kind === 'word' && (t.text === 'INSERT' || t.text === 'UPDATE' || t.text === 'DELETE'))
      return t.text;
    if (t.kind === 'word' && t.text === 'ON') break;
  }
  return null;
}

/** Statements that make SQLite compile `d` and change nothing. */
async function probes(conn: Connection, d: Dependent): Promise<string[]> {
  if (d.type === 'view') return [`SELECT * FROM ${q(d.name)} LIMIT 0`];
  const on = q(d.tbl_name);
  const columns = (await storedColumns(conn, d.tbl_name)).map(q);
  const statements: Record<string, string> = {
    INSERT: `INSERT INTO ${on} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${on} WHERE 0`,
    UPDATE: `UPDATE ${on} SET ${columns.map((c) => `${c} = ${c}`).join(', ')} WHERE 0`,
    DELETE: `DELETE FROM ${on} WHERE 0`,
  };
  const event = triggerEvent(d.sql);
  return event ? [statements[event] as string] : Object.values(statements);
}

/** SQLite's reason `d` cannot be compiled, or null when it compiles. Changes nothing. */
export async function compileProblem(conn: Connection, d: Dependent): Promise<string | null> {
  try {
    for (const probe of await probes(conn, d)) await conn.query(probe);
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}
