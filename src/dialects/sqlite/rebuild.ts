/**
 * SQLite's table rebuild, in the order its ALTER TABLE documentation prescribes ("Making
 * Other Kinds Of Table Schema Changes"): with foreign key enforcement off (switched by the
 * caller outside the transaction, since the pragma is a no-op inside one), inside one
 * transaction: remember the table's indexes, and every trigger and view that mentions it;
 * drop those views and triggers; create the new table; copy the rows; drop the old table;
 * rename the new one; recreate indexes, triggers and views; keep the AUTOINCREMENT
 * high-water mark; run `PRAGMA foreign_key_check`; all or nothing.
 */

import { DbDoctorError } from '../../errors.js';
import type { Connection } from '../dialect.js';
import { parseCreateIndex } from './create-sql.js';
import { compileProblem, type Dependent, storedColumns } from './dependents.js';
import { quoteIdent } from './quote.js';
import { type CreateTableParts, joinCreateTable, mentionsIdentifier, splitCreateTable } from './table-sql.js';

const q = quoteIdent;

/** Default rows copied per statement, so progress can be reported on large tables. */
export const DEFAULT_COPY_BATCH_ROWS = 250_000;

/** The names SQLite accepts for a rowid table's rowid, unless a column takes the name (SQLite docs, "Rowid Tables"). */
const ROWID_NAMES = ['rowid', '_rowid_', 'oid'] as const;

/** Progress of one rebuild's copy. */
export interface RebuildProgress {
  table: string;
  copied: number;
  total: number;
}

/** What a rebuild did. */
export interface RebuildResult {
  table: string;
  rows: number;
  /** Indexes dropped with a dropped column (not recreated). */
  droppedIndexes: string[];
  /** Every statement run, in order (what `dbdoctor sql` shows). */
  statements: string[];
}

type SchemaRow = {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
};

/** The stored CREATE TABLE of `table`, cut into parts; a clear error when there is none. */
export async function readTableParts(conn: Connection, table: string): Promise<CreateTableParts> {
  const rows = await conn.query<{ sql: string | null }>(
    "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE",
    [table],
  );
  const sql = rows[0]?.sql;
  if (!sql) throw noSuchTable(table);
  return splitCreateTable(sql);
}

function noSuchTable(table: string): DbDoctorError {
  return new DbDoctorError('BAD_OPERATION', `Table "${table}" does not exist, so it cannot be rebuilt.`, {
    unchanged: 'The migration was rolled back.',
    hint: 'Check the table name against `dbdoctor schema`.',
  });
}

/** Names of every table in the database (for finding enum CHECKs). */
export async function tableNames(conn: Connection): Promise<string[]> {
  const rows = await conn.query<{ name: string }>(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  return rows.map((r) => r.name);
}

/** Whether foreign key enforcement is on for this connection. */
export async function foreignKeysOn(conn: Connection): Promise<boolean> {
  const rows = await conn.query<{ foreign_keys: number }>('PRAGMA foreign_keys');
  return rows[0]?.foreign_keys === 1;
}

/**
 * Rebuilds `table` with the definition `next` (the result of editing its parts), inside the
 * caller's transaction, with foreign keys already off. Throws (and the caller rolls back) when
 * anything fails, including a foreign key violation the new definition would bring.
 */
export async function rebuildTable(
  conn: Connection,
  table: string,
  next: CreateTableParts,
  options: {
    droppedColumns?: string[];
    /**
     * Rows copied per statement (default {@link DEFAULT_COPY_BATCH_ROWS}); a table with more
     * rows is copied in rowid ranges with a progress report after each.
     */
    copyBatchRows?: number;
    onProgress?: (p: RebuildProgress) => void;
    /** Called with each statement before it runs (so a failure can name it). */
    onStatement?: (sql: string) => void;
  } = {},
): Promise<RebuildResult> {
  if (await foreignKeysOn(conn)) {
    // DROP TABLE with enforcement on would delete child rows (ON DELETE CASCADE) or fail.
    throw new DbDoctorError(
      'REBUILD_NEEDS_FOREIGN_KEYS_OFF',
      `Rebuilding "${table}" needs foreign key enforcement off, and it cannot be switched off inside a transaction.`,
      {
        unchanged: 'The migration was rolled back; no row was touched.',
        hint: 'Run this migration on its own (not with --single-transaction) so dbdoctor can switch enforcement off around it.',
      },
    );
  }
  const statements: string[] = [];
  const run = async (sql: string, params: unknown[] = []) => {
    options.onStatement?.(sql);
    statements.push(sql);
    if (params.length > 0) await conn.query(sql, params);
    else await conn.exec(sql);
  };

  const schemaRows = await conn.query<SchemaRow>(
    "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
  );
  const stored = schemaRows.find((r) => r.type === 'table' && r.name.toLowerCase() === table.toLowerCase());
  if (!stored?.sql) throw noSuchTable(table);
  const name = stored.name;

  const dropped = new Set((options.droppedColumns ?? []).map((c) => c.toLowerCase()));
  const indexes = schemaRows.filter(
    (r) => r.type === 'index' && r.tbl_name.toLowerCase() === name.toLowerCase(),
  );
  const droppedIndexes = indexes
    .filter((ix) => [...dropped].some((c) => indexMentions(ix.sql as string, c)))
    .map((ix) => ix.name);
  const keptIndexes = indexes.filter((ix) => !droppedIndexes.includes(ix.name));
  // Views and triggers that mention the table anywhere, not only those attached to it.
  const dependents = schemaRows.filter(
    (r) =>
      (r.type === 'view' || r.type === 'trigger') &&
      (r.tbl_name.toLowerCase() === name.toLowerCase() || mentionsIdentifier(r.sql as string, name)),
  );

  const sequence = await autoincrementMark(conn, name);
  const temp = `dbdoctor_rebuild_${name}`;
  for (const d of dependents) await run(`DROP ${d.type.toUpperCase()} ${q(d.name)}`);
  await run(joinCreateTable(temp, next));
  // Which columns hold data is SQLite's answer (table_xinfo), never a reading of the text.
  const newColumns = new Set((await storedColumns(conn, temp)).map((c) => c.toLowerCase()));
  const copied = (await storedColumns(conn, name)).filter(
    (c) => newColumns.has(c.toLowerCase()) && !dropped.has(c.toLowerCase()),
  );
  const rows = await copyRows(conn, { from: name, to: temp, columns: copied }, run, {
    batchRows: options.copyBatchRows ?? DEFAULT_COPY_BATCH_ROWS,
    onProgress: options.onProgress,
  });
  options.onStatement?.(`-- row counts of ${q(name)} and ${q(temp)} compared`);
  await compareRowCounts(conn, name, temp, rows);
  await run(`DROP TABLE ${q(name)}`);
  await run(`ALTER TABLE ${q(temp)} RENAME TO ${q(name)}`);
  for (const ix of keptIndexes) await run(ix.sql as string);
  const views = dependents.filter((x) => x.type === 'view');
  for (const d of views) await run(d.sql as string);
  // CREATE VIEW and CREATE TRIGGER do not resolve names; a recreated one that no longer
  // compiles would make every later query of the view, or write to the table, fail.
  for (const d of views) await verifyCompiles(conn, name, d);
  for (const d of dependents.filter((x) => x.type === 'trigger')) {
    await run(d.sql as string);
    await verifyCompiles(conn, name, d);
  }
  if (sequence !== null) {
    // The mark travels as text and is cast back in SQL: a JS number would be bound as REAL
    // (and rounded past 2^53, so a deleted id could be handed out again).
    await run('UPDATE sqlite_sequence SET seq = max(seq, CAST(? AS INTEGER)) WHERE name = ?', [
      sequence,
      name,
    ]);
    await run(
      'INSERT INTO sqlite_sequence (name, seq) SELECT ?, CAST(? AS INTEGER) WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)',
      [name, sequence, name],
    );
  }
  options.onStatement?.(`PRAGMA foreign_key_check(${q(name)}) and on the tables that reference it`);
  await checkForeignKeys(conn, name);
  return { table: name, rows, droppedIndexes, statements };
}

function indexMentions(sql: string, column: string): boolean {
  const { keys, where } = parseCreateIndex(sql);
  return (
    keys.some((k) => mentionsIdentifier(k, column)) || (where !== null && mentionsIdentifier(where, column))
  );
}

async function autoincrementMark(conn: Connection, table: string): Promise<string | null> {
  const exists = await conn.query("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'");
  if (exists.length === 0) return null;
  // As text: seq is a 64-bit integer, which a JS number cannot hold exactly.
  const rows = await conn.query<{ seq: string | null }>(
    'SELECT CAST(seq AS TEXT) AS seq FROM sqlite_sequence WHERE name = ?',
    [table],
  );
  return rows[0]?.seq ?? null;
}

/**
 * The name that reaches `table`'s real rowid, or null when it has none (WITHOUT ROWID) or
 * columns named rowid, _rowid_ and oid hide all three spellings.
 */
async function rowidName(conn: Connection, table: string): Promise<string | null> {
  const list = await conn.query<{ wr: number }>('SELECT wr FROM pragma_table_list(?)', [table]);
  if (Number(list[0]?.wr ?? 0) === 1) return null;
  const columns = await conn.query<{ name: string }>('SELECT name FROM pragma_table_xinfo(?)', [table]);
  const taken = new Set(columns.map((c) => c.name.toLowerCase()));
  return ROWID_NAMES.find((n) => !taken.has(n)) ?? null;
}

/** What one copy moves: the stored columns both tables share. */
interface CopySpec {
  from: string;
  to: string;
  columns: string[];
}

/**
 * Copies the rows, keeping each row's rowid where both tables have one, and returns how many
 * rows the INSERTs wrote (their `changes()`). A table with more than `batchRows` rows and an
 * addressable rowid is copied in rowid ranges whose bounds never leave SQLite's 64-bit
 * integers (read as text, bound as BigInt): a JavaScript number cannot hold every rowid.
 * Otherwise (small, WITHOUT ROWID, or every rowid spelling shadowed) one statement copies all.
 */
async function copyRows(
  conn: Connection,
  spec: CopySpec,
  run: (sql: string, params?: unknown[]) => Promise<void>,
  options: { batchRows: number; onProgress?: (p: RebuildProgress) => void },
): Promise<number> {
  const { from, to } = spec;
  const total = Number((await conn.query<{ n: number }>(`SELECT count(*) AS n FROM ${q(from)}`))[0]?.n ?? 0);
  const fromRowid = await rowidName(conn, from);
  const toRowid = await rowidName(conn, to);
  const keepRowid = fromRowid !== null && toRowid !== null;
  const target = [...(keepRowid ? [toRowid] : []), ...spec.columns].map(q).join(', ');
  const source = [...(keepRowid ? [fromRowid] : []), ...spec.columns].map(q).join(', ');
  const insert = `INSERT INTO ${q(to)} (${target}) SELECT ${source} FROM ${q(from)}`;
  const changes = async () => Number((await conn.query<{ n: number }>('SELECT changes() AS n'))[0]?.n ?? 0);
  if (fromRowid === null || total <= options.batchRows) {
    await run(insert);
    const copied = await changes();
    options.onProgress?.({ table: from, copied, total });
    return copied;
  }
  const r = q(fromRowid);
  let copied = 0;
  let after: bigint | null = null;
  for (;;) {
    const range: string = after === null ? '' : `WHERE ${r} > ? `;
    const bound: { upTo: string | null }[] = await conn.query<{ upTo: string | null }>(
      `SELECT CAST(max(k) AS TEXT) AS upTo FROM (SELECT ${r} AS k FROM ${q(from)} ${range}ORDER BY ${r} LIMIT ?)`,
      after === null ? [options.batchRows] : [after, options.batchRows],
    );
    const upTo: string | null | undefined = bound[0]?.upTo;
    if (upTo === null || upTo === undefined) break;
    const last: bigint = BigInt(upTo);
    if (after === null) await run(`${insert} WHERE ${r} <= ?`, [last]);
    else await run(`${insert} WHERE ${r} > ? AND ${r} <= ?`, [after, last]);
    copied += await changes();
    after = last;
    options.onProgress?.({ table: from, copied, total });
  }
  return copied;
}

/**
 * The net under every copy: before the old table is dropped, it, the new table and the
 * INSERTs' own count must agree; anything else aborts the rebuild (the caller rolls back).
 */
async function compareRowCounts(conn: Connection, from: string, to: string, copied: number): Promise<void> {
  const count = async (t: string) =>
    Number((await conn.query<{ n: number }>(`SELECT count(*) AS n FROM ${q(t)}`))[0]?.n ?? 0);
  const before = await count(from);
  const after = await count(to);
  if (before === after && after === copied) return;
  throw new DbDoctorError(
    'REBUILD_ROW_COUNT_MISMATCH',
    `Rebuilding "${from}" copied ${copied} row(s) into a table that holds ${after}, but "${from}" holds ${before}; a rebuild never drops a table whose rows it has not all copied.`,
    {
      unchanged: 'The migration was rolled back; every table is as it was.',
      hint: 'Report this with the table definition (`dbdoctor schema`); a constraint with ON CONFLICT IGNORE or REPLACE in the new definition also causes it.',
      details: { table: from, rowsBefore: before, rowsCopied: copied, rowsAfter: after },
    },
  );
}

/** When SQLite cannot compile the recreated view or trigger `d`, the rebuild stops. */
async function verifyCompiles(conn: Connection, table: string, d: SchemaRow): Promise<void> {
  const problem = await compileProblem(conn, d as Dependent);
  if (problem === null) return;
  throw new DbDoctorError(
    'REBUILD_BREAKS_DEPENDENT',
    `Rebuilding "${table}" would leave ${d.type} "${d.name}" broken: SQLite says "${problem}".`,
    {
      unchanged: 'The migration was rolled back; every table, view and trigger is as it was.',
      hint: `Drop or rewrite ${d.type} "${d.name}" in the same migration, before this operation (sql()).`,
      details: { table, dependent: { type: d.type, name: d.name }, sqliteError: problem },
    },
  );
}

/** `PRAGMA foreign_key_check` on the rebuilt table and every table that references it. */
async function checkForeignKeys(conn: Connection, table: string): Promise<void> {
  // The tables that reference it, as SQLite reads their foreign keys (not their text).
  const referencing = await conn.query<{ name: string }>(
    `SELECT DISTINCT m.name FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f
     WHERE m.type = 'table' AND m.name <> ? AND f."table" = ? COLLATE NOCASE`,
    [table, table],
  );
  const children = referencing.map((r) => r.name);
  for (const t of [table, ...children]) {
    const violations = await conn.query<{ table: string; rowid: number; parent: string }>(
      `PRAGMA foreign_key_check(${q(t)})`,
    );
    if (violations.length > 0) {
      const v = violations[0] as { table: string; rowid: number; parent: string };
      throw new DbDoctorError(
        'REBUILD_FOREIGN_KEY_VIOLATION',
        `Rebuilding "${table}" would break ${violations.length} foreign key reference(s), e.g. row ${v.rowid} of "${v.table}" pointing at "${v.parent}".`,
        {
          unchanged: 'The migration was rolled back; every table is as it was.',
          hint: 'Fix or delete the rows that reference missing parents, then apply again.',
          details: { violations: violations.slice(0, 20) },
        },
      );
    }
  }
}
