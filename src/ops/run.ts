/** Running operations on an open connection (inside the migration's transaction). */
import type { Connection } from '../dialects/dialect.js';
import { quoteIdent } from '../dialects/sqlite/ddl.js';
import {
  foreignKeysOn,
  type RebuildProgress,
  readTableParts,
  rebuildTable,
  tableNames,
} from '../dialects/sqlite/rebuild.js';
import { splitStatements } from '../migrations/split.js';
import { pgNeedsNoTransaction, pgStatements } from './postgres.js';
import { editTable, type SqliteStep, sqliteSteps, widenEnumChecks } from './sqlite.js';
import type { Operation } from './types.js';

/** Called with each statement as it runs (for error messages and `dbdoctor sql`). */
export type StatementListener = (sql: string) => void;

/** Options of {@link runOperations}. */
export interface RunOperationsOptions {
  onStatement?: StatementListener;
  onProgress?: (p: RebuildProgress) => void;
  /**
   * Runs one plain statement instead of `conn.exec` (the runner's retrying executor for
   * migrations outside a transaction). A SQLite rebuild's own statements always use `conn`.
   */
  exec?: (sql: string) => Promise<void>;
}

/** Whether running `ops` on this dialect needs foreign key enforcement off (a SQLite rebuild). */
export function needsForeignKeysOff(dialect: 'sqlite' | 'postgres', ops: readonly Operation[]): boolean {
  return dialect === 'sqlite' && sqliteSteps(ops).some((s) => s.kind !== 'sql');
}

/** Whether the operations must run outside a transaction on this dialect. */
export function needsNoTransaction(dialect: 'sqlite' | 'postgres', ops: readonly Operation[]): boolean {
  return dialect === 'postgres' && pgNeedsNoTransaction(ops);
}

/**
 * Switches SQLite foreign key enforcement off for a rebuild (it must happen outside any
 * transaction, on the same connection) and returns what puts it back. A no-op when it is off.
 */
export async function foreignKeysOffAround(conn: Connection): Promise<() => Promise<void>> {
  if (!(await foreignKeysOn(conn))) return async () => {};
  await conn.exec('PRAGMA foreign_keys = OFF');
  return async () => {
    await conn.exec('PRAGMA foreign_keys = ON');
  };
}

/** Runs `ops` on `conn`; returns every statement run. */
export async function runOperations(
  conn: Connection,
  ops: readonly Operation[],
  options: RunOperationsOptions = {},
): Promise<string[]> {
  const ran: string[] = [];
  const exec = async (sql: string) => {
    options.onStatement?.(sql);
    ran.push(sql);
    await (options.exec ? options.exec(sql) : conn.exec(sql));
  };
  if (conn.dialect.name === 'postgres') {
    for (const op of ops)
      for (const s of pgStatements(op)) for (const one of splitStatements(s)) await exec(one);
    return ran;
  }
  for (const step of sqliteSteps(ops)) await runSqliteStep(conn, step, exec, ran, options);
  return ran;
}

async function runSqliteStep(
  conn: Connection,
  step: SqliteStep,
  exec: (sql: string) => Promise<void>,
  ran: string[],
  options: RunOperationsOptions,
): Promise<void> {
  const rebuild = async (table: string, edit: ReturnType<typeof editTable>) => {
    options.onStatement?.(`-- rebuild of "${table}"`);
    const r = await rebuildTable(conn, table, edit.parts, {
      droppedColumns: edit.droppedColumns,
      onProgress: options.onProgress,
      onStatement: options.onStatement,
    });
    ran.push(...r.statements);
  };
  switch (step.kind) {
    case 'sql':
      for (const s of step.statements) await exec(s);
      return;
    case 'rebuild':
      await rebuild(step.table, editTable(await readTableParts(conn, step.table), step.ops));
      return;
    case 'dropColumn': {
      // Native DROP COLUMN (SQLite 3.35+) when SQLite allows it; it refuses an indexed,
      // key, referenced or view-used column, and then the rebuild does it.
      const native = `ALTER TABLE ${quoteIdent(step.table)} DROP COLUMN ${quoteIdent(step.column)}`;
      await conn.exec('SAVEPOINT dbdoctor_drop_column');
      try {
        options.onStatement?.(native);
        await conn.exec(native);
        await conn.exec('RELEASE dbdoctor_drop_column');
        ran.push(native);
        return;
      } catch {
        await conn.exec('ROLLBACK TO dbdoctor_drop_column');
        await conn.exec('RELEASE dbdoctor_drop_column');
      }
      await rebuild(step.table, editTable(await readTableParts(conn, step.table), [step.op]));
      return;
    }
    case 'addEnumValue':
      for (const table of await tableNames(conn)) {
        const widened = widenEnumChecks(await readTableParts(conn, table), step.name, step.value);
        if (widened) await rebuild(table, { parts: widened, droppedColumns: [] });
      }
      return;
  }
}
