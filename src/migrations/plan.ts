import type { LockOwner } from '../dialects/dialect.js';
import { describeOwner } from '../dialects/lock-wait.js';
import { compareIds, highestId, type MigrationFile } from './files.js';
import { type HistoryRow, isSettled } from './history.js';

/** Something wrong between the files and the history. */
export interface Problem {
  code:
    | 'MISSING_FILE'
    | 'CHECKSUM_MISMATCH'
    | 'PARTIALLY_APPLIED'
    | 'PARTIALLY_REVERTED'
    | 'MIGRATION_IN_PROGRESS'
    | 'OUT_OF_ORDER';
  id: string;
  message: string;
  /** The command that resolves it. */
  fix: string;
}

/** Files and history compared: what is applied, what is pending, what is wrong. */
export interface MigrationState {
  applied: HistoryRow[];
  pending: MigrationFile[];
  problems: Problem[];
  /** The highest applied id in file order (null when none). */
  current: string | null;
}

/**
 * For a row of a migration that stopped part-way without an error (the runner died): the
 * statement after the recorded ones may have run, since each is recorded only once it returned.
 */
function inFlight(row: HistoryRow): string {
  if (row.error !== null) return '';
  // TS migrations (and DSL ones whose statements depend on the live tables) do not know their count beforehand (recorded as 0).
  if (row.statementsTotal === 0)
    return ` A statement after ${row.statementsDone === 0 ? 'its start' : `those ${row.statementsDone}`} may have been running when the runner stopped: check whether it took effect.`;
  if (row.statementsDone >= row.statementsTotal) return '';
  const n = row.statementsDone + 1;
  return ` Statement ${n} was running or about to run when the runner stopped: check whether it took effect.`;
}

/** "after 2 of 3 statements", or "after 2 statement(s)" where the count is not known beforehand. */
function stoppedAfter(row: HistoryRow): string {
  if (row.statementsTotal > 0) return `after ${row.statementsDone} of ${row.statementsTotal} statements`;
  return row.statementsDone > 0 ? `after ${row.statementsDone} statement(s)` : 'before its first statement';
}

/**
 * Whether the runner holding the migration lock (`runner`, read by the caller) is the one that
 * started `row`: it took the lock no later than the row was written (both times come from the
 * runner's clock when it is the same runner). `unknown` when the lock's time cannot be read (a
 * MySQL runner between GET_LOCK and its owner row). A lock a dead process left is no runner.
 */
export function runningNow(row: HistoryRow, runner: LockOwner | null): boolean | 'unknown' {
  if (runner === null || runner.detail?.startsWith('stale') || runner.live === false || runner.gone)
    return false;
  const since = Date.parse(runner.since);
  const started = Date.parse(row.appliedAt);
  if (Number.isNaN(since) || Number.isNaN(started)) return 'unknown';
  return since <= started;
}

/** The problem for a row a live runner is applying or reverting right now. */
function inProgress(row: HistoryRow, runner: LockOwner): Problem {
  const verb = row.status === 'reverting' ? 'reverted' : 'applied';
  const sofar =
    row.statementsTotal > 0
      ? `${row.statementsDone} of ${row.statementsTotal} statements done so far`
      : `${row.statementsDone} statement(s) done so far`;
  return {
    code: 'MIGRATION_IN_PROGRESS',
    id: row.id,
    message: `Migration ${row.id}_${row.name} is being ${verb} right now by ${describeOwner(runner)}, which holds the migration lock since ${runner.since} (${sofar}).`,
    fix: 'Wait for it to finish, then run `dbdoctor status` again.',
  };
}

/**
 * Compares files with history by membership (which ids are recorded), never by a
 * high-water mark: an unrecorded file older than an applied one is reported as OUT_OF_ORDER.
 * `runner` is whoever holds the migration lock (read only by callers that do not hold it): a
 * migration it started is in progress, not stopped part-way. Pure and O(n).
 */
export function compareFilesWithHistory(
  files: readonly MigrationFile[],
  history: readonly HistoryRow[],
  runner: LockOwner | null = null,
): MigrationState {
  const fileById = new Map(files.map((f) => [f.id, f]));
  const recorded = new Map(history.map((h) => [h.id, h]));
  const problems: Problem[] = [];
  for (const row of history) {
    const file = fileById.get(row.id);
    const running = row.status === 'started' || row.status === 'reverting' ? runningNow(row, runner) : false;
    if (running === true && runner !== null) problems.push(inProgress(row, runner));
    const maybeRunning =
      running === 'unknown' && runner !== null
        ? ` The migration lock is held right now by ${describeOwner(runner)}, which may be running it: wait for it to finish before you inspect anything.`
        : runner?.gone && (row.status === 'started' || row.status === 'reverting')
          ? ` Its runner, ${describeOwner(runner)}, is gone, but the server still holds the migration lock for its connection: the statement it was running may still be running there. Wait until the lock is free before you inspect anything.`
          : '';
    if (row.status === 'started' && running !== true) {
      problems.push({
        code: 'PARTIALLY_APPLIED',
        id: row.id,
        message: `Migration ${row.id}_${row.name} was partially applied: it runs outside a transaction and stopped ${stoppedAfter(row)}${row.error ? ` (${row.error})` : ''}.${inFlight(row)}${maybeRunning}`,
        fix: `Inspect the database, then \`dbdoctor resolve ${row.id} --applied\` if all its changes are there, or undo them and run \`dbdoctor resolve ${row.id} --rolled-back\`.`,
      });
    }
    if (row.status === 'reverting' && running !== true) {
      problems.push({
        code: 'PARTIALLY_REVERTED',
        id: row.id,
        message: `Migration ${row.id}_${row.name} was partially reverted: its down runs outside a transaction and stopped ${stoppedAfter(row)}${row.error ? ` (${row.error})` : ''}.${inFlight(row)}${maybeRunning}`,
        fix: `Inspect the database, then finish the down by hand and run \`dbdoctor resolve ${row.id} --rolled-back\`, or redo what it undid and run \`dbdoctor resolve ${row.id} --applied\`.`,
      });
    }
    if (!file) {
      problems.push({
        code: 'MISSING_FILE',
        id: row.id,
        message: `Migration ${row.id}_${row.name} is recorded as applied but its file is missing.`,
        fix: `Restore the file ${row.id}_${row.name}.* from version control, or run \`dbdoctor resolve ${row.id} --forget\` to drop its history row.`,
      });
    } else if (file.checksum !== row.checksum && isSettled(row) && !file.repeatable) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        id: row.id,
        message: `Migration ${file.stem} changed after it was applied (recorded checksum ${row.checksum.slice(0, 12)}…, file now ${file.checksum.slice(0, 12)}…).`,
        fix: `Restore the file as it was when applied, or put the change in a new migration; if the edit is harmless run \`dbdoctor resolve ${row.id} --accept-checksum\`.`,
      });
    }
  }
  // A repeatable (Flyway's R__) runs again whenever its file changes.
  const rerun = (f: MigrationFile) => {
    const row = recorded.get(f.id);
    return f.repeatable === true && row !== undefined && isSettled(row) && row.checksum !== f.checksum;
  };
  const pending = files.filter((f) => !recorded.has(f.id) || rerun(f));
  // A partially applied or partially reverted migration is not a revision the database is at.
  // Repeatables come after every versioned migration: they count only once those are all applied.
  const versionedPending = pending.some((f) => !f.repeatable);
  const current = highestId(
    history
      .filter((h) => isSettled(h) && !(versionedPending && fileById.get(h.id)?.repeatable))
      .map((h) => h.id),
  );
  for (const f of pending) {
    if (f.repeatable) continue;
    if (current !== null && compareIds(f.id, current) < 0) {
      problems.push({
        code: 'OUT_OF_ORDER',
        id: f.id,
        message: `Migration ${f.stem} is not applied but is older than the applied ${current}.`,
        fix: 'Check it is meant to run after newer ones (e.g. merged from a branch), then `dbdoctor apply --allow-out-of-order`.',
      });
    }
  }
  return { applied: [...history], pending, problems, current };
}

/**
 * The order the database went through its migrations, for the doctor's replay: the files in
 * order, except that repeatables (Flyway's `R__`) already run while versioned migrations are
 * still pending come right after the applied versioned ones (Flyway runs them after the
 * versioned migrations of each run), so the revision the history records is "the applied
 * versioned migrations plus the repeatables that ran", and the pending versioned ones follow.
 * `recordedAt` is the index of the last applied file of that order when it was reordered,
 * else null (the recorded id decides, as usual).
 */
export function replayOrder(
  files: readonly MigrationFile[],
  history: readonly HistoryRow[],
): { files: MigrationFile[]; recordedAt: number | null } {
  const settled = new Set(history.filter(isSettled).map((h) => h.id));
  const applied = (f: MigrationFile) => settled.has(f.id);
  const appliedRepeatables = files.filter((f) => f.repeatable && applied(f));
  const pendingVersioned = files.filter((f) => !f.repeatable && !applied(f));
  if (appliedRepeatables.length === 0 || pendingVersioned.length === 0)
    return { files: [...files], recordedAt: null };
  const appliedVersioned = files.filter((f) => !f.repeatable && applied(f));
  const prefix = [...appliedVersioned, ...appliedRepeatables];
  return {
    files: [...prefix, ...pendingVersioned, ...files.filter((f) => f.repeatable && !applied(f))],
    recordedAt: prefix.length - 1,
  };
}
