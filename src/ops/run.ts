/** Running operations on an open connection (inside the migration's transaction). */
import type { Connection, DialectName } from '../dialects/dialect.js';
import { quoteIdent } from '../dialects/sqlite/ddl.js';
import {
  type RebuildProgress,
  readTableParts,
  rebuildTable,
  tableNames,
} from '../dialects/sqlite/rebuild.js';
import { DbDoctorError, errorMessage, isDbDoctorError } from '../errors.js';
import { pgNeedsNoTransaction, pgStatements } from './postgres.js';
import { editTable, type SqliteStep, sqliteSteps, widenEnumChecks } from './sqlite.js';
import type { Operation } from './types.js';

/** Called with each statement as it runs (for error messages and `dbdoctor sql`). */
export type StatementListener = (sql: string) => void;

/** Options of {@link runOperations}. */
export interface RunOperationsOptions {
  onStatement?: StatementListener;
  onProgress?: (p: RebuildProgress) => void;
  /** Rows a SQLite rebuild copies per statement (see `rebuildTable`). */
  copyBatchRows?: number;
  /**
   * Runs one plain statement instead of `conn.exec` (the runner's retrying executor for
   * migrations outside a transaction). A SQLite rebuild's own statements always use `conn`.
   */
  exec?: (sql: string) => Promise<void>;
}

/** Whether the operations must run outside a transaction on this dialect. */
export function needsNoTransaction(dialect: DialectName, ops: readonly Operation[]): boolean {
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
    await (options.exec ? options.exec(sql) : conn.exec(sql));
  };
  if (conn.dialect.name === 'mysql') {
    // Until the operations compile to MySQL, refuse them rather than run another dialect's SQL.
    throw new DbDoctorError(
      'DSL_UNSUPPORTED',
      'Operation (DSL) migrations do not run on MySQL/MariaDB yet: their SQL is compiled for SQLite and PostgreSQL only.',
      {
        unchanged: 'No statement of this migration was run.',
        hint: 'Write this migration as a SQL file (-- migrate:up / -- migrate:down) for MySQL.',
      },
    );
  }
  if (conn.dialect.name === 'postgres') {
    for (const op of ops)
      for (const s of pgStatements(op)) for (const one of conn.dialect.splitStatements(s)) await exec(one);
    return ran;
  }
  for (const step of sqliteSteps(ops)) await runSqliteStep(conn, step, exec, ran, options);
  return ran;
}

/** The refusal of a dropColumn whose column a trigger or view still uses. */
function columnInUse(
  step: { table: string; column: string },
  refusal: string,
  broken: DbDoctorError,
): DbDoctorError {
  const dependent = broken.details.dependent as { type: string; name: string };
  return new DbDoctorError(
    'COLUMN_IN_USE',
    `Cannot drop column "${step.column}" of "${step.table}": ${dependent.type} "${dependent.name}" uses it. SQLite refuses ALTER TABLE DROP COLUMN ("${refusal}"), and a rebuild would leave the ${dependent.type} broken ("${broken.details.sqliteError}").`,
    {
      unchanged: 'The migration was rolled back; the table, its triggers and views are as they were.',
      hint: `Drop or rewrite ${dependent.type} "${dependent.name}" without "${step.column}" first, in the same migration (sql() before dropColumn).`,
      details: { ...broken.details, sqliteRefusal: refusal },
    },
  );
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
      copyBatchRows: options.copyBatchRows,
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
      // Native DROP COLUMN (SQLite 3.35+) when SQLite allows it; it refuses an indexed, key,
      // CHECKed or referenced column, and then the rebuild does it. It also refuses a column
      // a trigger or view uses; the rebuild's check of recreated triggers and views catches
      // that, and the refusal carries SQLite's first reason too.
      const native = `ALTER TABLE ${quoteIdent(step.table)} DROP COLUMN ${quoteIdent(step.column)}`;
      await conn.exec('SAVEPOINT dbdoctor_drop_column');
      let refusal: string;
      try {
        options.onStatement?.(native);
        await conn.exec(native);
        await conn.exec('RELEASE dbdoctor_drop_column');
        ran.push(native);
        return;
      } catch (e) {
        refusal = errorMessage(e);
        await conn.exec('ROLLBACK TO dbdoctor_drop_column');
        await conn.exec('RELEASE dbdoctor_drop_column');
      }
      try {
        await rebuild(step.table, editTable(await readTableParts(conn, step.table), [step.op]));
      } catch (e) {
        throw isDbDoctorError(e) && e.code === 'REBUILD_BREAKS_DEPENDENT' ? columnInUse(step, refusal, e) : e;
      }
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
