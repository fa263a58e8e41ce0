/** Running operations on an open connection (inside the migration's transaction). */
import type { Connection } from '../dialects/dialect.js';
import { quoteIdent } from '../dialects/sqlite/ddl.js';
import {
  type RebuildProgress,
  readTableParts,
  rebuildTable,
  tableNames,
} from '../dialects/sqlite/rebuild.js';
import { pgNeedsNoTransaction, pgStatements } from './postgres.js';
import { editTable, type SqliteStep, sqliteSteps, widenEnumChecks } from './sqlite.js';
import type { Operation } from './types.js';

/** Called with each statement as it runs (for error messages and `dbdoctor sql`). */
export type StatementListener = (sql: string) => void;

/** Options of {@link runOperations}. */
export interface RunOperationsOptions {
  onStatement?: StatementListener;
  onProgress?: (p: RebuildProgress) => void;
}

/** Whether the operations must run outside a transaction on this dialect. */
export function needsNoTransaction(dialect: 'sqlite' | 'postgres', ops: readonly Operation[]): boolean {
  return dialect === 'postgres' && pgNeedsNoTransaction(ops);
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
    await conn.exec(sql);
  };
  if (conn.dialect.name === 'postgres') {
    for (const op of ops)
      for (const s of pgStatements(op)) for (const one of conn.dialect.splitStatements(s)) await exec(one);
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
