import { type EngineOptions, historyTableName, readOnlyView, usingSession } from './engine.js';
import { type HistoryRow, isSettled } from './history.js';
import { compareFilesWithHistory, type Problem } from './plan.js';

/** The result of {@link status}; the `status --json` contract. */
export interface StatusResult {
  dialect: string;
  database: string;
  /**
   * Whether a migration's DDL and its history row commit together. False on MySQL/MariaDB,
   * where each DDL statement commits on its own: a migration that stops part-way is recorded
   * as partially applied, never rolled back.
   */
  transactionalDdl: boolean;
  /** False when the SQLite file does not exist yet (nothing was created). */
  exists: boolean;
  /** The highest applied id, or null. */
  current: string | null;
  /** Migrations applied (or stamped) in full. */
  applied: { id: string; name: string; checksum: string; appliedAt: string; status: string }[];
  /**
   * Migrations that stopped part-way outside a transaction (`started`), or whose down did
   * (`reverting`): neither applied nor pending, and not counted as the current revision.
   */
  partial: {
    id: string;
    name: string;
    status: string;
    statementsDone: number;
    /** 0 when the count was not known before it ran (a TS migration). */
    statementsTotal: number;
  }[];
  pending: { id: string; name: string }[];
  problems: { code: Problem['code']; id: string; message: string; fix: string }[];
  /** The migrations folder's layout (dbmate is dbdoctor's own). */
  format: string;
  /**
   * Entries of the folder that layout does not cover (a README, a stray folder): not run,
   * listed so nothing is skipped in silence. One that looks like a migration stops every command.
   */
  uncovered: { path: string; reason: string }[];
}

/** Where the database stands against the migration files. Read-only: creates nothing. */
export async function status(options: EngineOptions): Promise<StatusResult> {
  historyTableName(options.historyTable);
  return readOnlyView(options, async (view) => {
    const state = compareFilesWithHistory(view.files, view.rows, view.runner);
    return {
      dialect: view.dialect.name,
      database: view.display,
      transactionalDdl: view.dialect.capabilities.transactionalDdl,
      exists: view.exists,
      current: state.current,
      applied: state.applied.filter(isSettled).map(toApplied),
      partial: state.applied
        .filter((r) => !isSettled(r))
        .map((r) => ({
          id: r.id,
          name: r.name,
          status: r.status,
          statementsDone: r.statementsDone,
          statementsTotal: r.statementsTotal,
        })),
      pending: state.pending.map((f) => ({ id: f.id, name: f.name })),
      problems: state.problems,
      format: view.format,
      uncovered: view.uncovered.map((u) => ({ path: u.path, reason: u.reason })),
    };
  });
}

function toApplied(r: HistoryRow) {
  return { id: r.id, name: r.name, checksum: r.checksum, appliedAt: r.appliedAt, status: r.status };
}

/** The history rows, oldest first. Read-only. */
export async function history(options: EngineOptions): Promise<HistoryRow[]> {
  return usingSession(options, async (session) => (await session.history.read()) ?? [], { mustExist: true });
}
