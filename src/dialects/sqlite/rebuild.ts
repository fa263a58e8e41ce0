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
import { quoteIdent } from './ddl.js';
import {
  type CreateTableParts,
  itemColumn,
  joinCreateTable,
  mentionsIdentifier,
  splitCreateTable,
} from './table-sql.js';

const q = quoteIdent;

/** Rows copied per statement, so progress can be reported on large tables. */
const COPY_BATCH = 250_000;

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
  const oldParts = splitCreateTable(stored.sql);

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

  const columnsOf = (parts: CreateTableParts) =>
    parts.items
      .filter(
        (it) =>
          itemColumn(it) !== null && !/\b(GENERATED\s+ALWAYS\s+)?AS\s*\(/i.test(it.replace(/^\S+\s*/, '')),
      )
      .map((it) => itemColumn(it) as string);
  const newColumns = new Set(columnsOf(next).map((c) => c.toLowerCase()));
  const copied = columnsOf(oldParts).filter(
    (c) => newColumns.has(c.toLowerCase()) && !dropped.has(c.toLowerCase()),
  );

  const sequence = await autoincrementMark(conn, name);
  const temp = `dbdoctor_rebuild_${name}`;
  for (const d of dependents) await run(`DROP ${d.type.toUpperCase()} ${q(d.name)}`);
  await run(joinCreateTable(temp, next));
  const rows = await copyRows(conn, name, temp, copied, run, options.onProgress);
  await run(`DROP TABLE ${q(name)}`);
  await run(`ALTER TABLE ${q(temp)} RENAME TO ${q(name)}`);
  for (const ix of keptIndexes) await run(ix.sql as string);
  for (const d of dependents.filter((x) => x.type === 'view')) await run(d.sql as string);
  for (const d of dependents.filter((x) => x.type === 'trigger')) await run(d.sql as string);
  if (sequence !== null) {
    await run('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?', [sequence, name]);
    await run(
      'INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)',
      [name, sequence, name],
    );
  }
  options.onStatement?.(`PRAGMA foreign_key_check(${q(name)}) and on the tables that reference it`);
  await checkForeignKeys(conn, name, schemaRows);
  return { table: name, rows, droppedIndexes, statements };
}

function indexMentions(sql: string, column: string): boolean {
  const { keys, where } = parseCreateIndex(sql);
  return (
    keys.some((k) => mentionsIdentifier(k, column)) || (where !== null && mentionsIdentifier(where, column))
  );
}

async function autoincrementMark(conn: Connection, table: string): Promise<number | null> {
  const exists = await conn.query("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'");
  if (exists.length === 0) return null;
  const rows = await conn.query<{ seq: number }>('SELECT seq FROM sqlite_sequence WHERE name = ?', [table]);
  return rows[0]?.seq ?? null;
}

async function copyRows(
  conn: Connection,
  from: string,
  to: string,
  columns: string[],
  run: (sql: string, params?: unknown[]) => Promise<void>,
  onProgress?: (p: RebuildProgress) => void,
): Promise<number> {
  const total = Number((await conn.query<{ n: number }>(`SELECT count(*) AS n FROM ${q(from)}`))[0]?.n ?? 0);
  const cols = columns.map(q).join(', ');
  const insert = `INSERT INTO ${q(to)} (${cols}) SELECT ${cols} FROM ${q(from)}`;
  const hasRowid =
    total > COPY_BATCH &&
    (await conn.query(`SELECT rowid FROM ${q(from)} LIMIT 1`).then(
      () => true,
      () => false,
    ));
  if (!hasRowid) {
    await run(insert);
    onProgress?.({ table: from, copied: total, total });
    return total;
  }
  // In rowid ranges, so a large copy reports progress; the statement text stays the same shape.
  let copiedRows = 0;
  let after = Number.MIN_SAFE_INTEGER;
  while (copiedRows < total) {
    const last = await conn.query<{ r: number }>(
      `SELECT max(rowid) AS r FROM (SELECT rowid FROM ${q(from)} WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
      [after, COPY_BATCH],
    );
    const upTo = last[0]?.r;
    if (upTo === null || upTo === undefined) break;
    await run(`${insert} WHERE rowid > ? AND rowid <= ?`, [after, upTo]);
    copiedRows = Math.min(total, copiedRows + COPY_BATCH);
    after = upTo;
    onProgress?.({ table: from, copied: copiedRows, total });
  }
  return total;
}

/** `PRAGMA foreign_key_check` on the rebuilt table and every table that references it. */
async function checkForeignKeys(conn: Connection, table: string, schemaRows: SchemaRow[]): Promise<void> {
  const children = schemaRows
    .filter((r) => r.type === 'table' && r.name !== table && mentionsIdentifier(r.sql as string, table))
    .map((r) => r.name);
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
