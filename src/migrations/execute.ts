import fs from 'node:fs';
import path from 'node:path';
import type { Connection, MigrationGuard, OperationProgress, Row } from '../dialects/dialect.js';
import { maskedSql } from '../dialects/registry.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import type { MigrationContext } from './define.js';
import type { EventListener } from './events.js';
import { type History, HistoryWriteError } from './history.js';
import { type LoadedMigration, type MigrationStep, runsInTransaction } from './load.js';
import { transactionControl } from './transaction-control.js';

/** How a migration is run. */
export interface ExecuteOptions {
  statementLockTimeoutMs: number;
  lockRetries: number;
  onEvent?: EventListener;
  /** The revision the database is at before this migration, for error messages. */
  before: string | null;
  /**
   * The migration to run right after this one (up only). When both run outside a transaction,
   * this one's finished row and the next one's started row are written in one transaction (see
   * History.markAppliedAndStart); the caller withdraws that row if the run stops before it.
   */
  next?: LoadedMigration;
  /**
   * The caller set the session-scope lock timeout for the whole run (before the first
   * migration's session capture, so a migration that changes it gets it put back) and resets it
   * after: a migration outside a transaction then sets and resets none of its own.
   */
  sessionLockTimeoutSet?: boolean;
}

/** Tracks which statement a step is on, so a failure can name it. */
export class StatementTracker {
  index = 0;
  current = '';
  total = 0;
  /** Every statement ran; the checks before COMMIT are running. */
  checking = false;

  /** A function migration's own code is running: no statement of it is in flight. */
  inCode = false;

  /**
   * A statement about to run, one more than the last. The total stays as set (0: not known
   * beforehand, as for a TS migration): a count made up from what ran would read "2 of 2".
   */
  note(sql: string): void {
    this.current = sql;
    this.index++;
  }

  /** Where a failure happened, and the statement to show (null when no statement was running). */
  place(): { where: string; statement: string | null } {
    if (this.checking) return { where: 'the checks before COMMIT', statement: null };
    if (this.inCode) {
      const after = this.index > 0 ? `after statement ${this.index}` : 'before its first statement';
      return { where: `the migration's own code, ${after}`, statement: null };
    }
    if (this.index === 0) return { where: 'its start, before its first statement', statement: null };
    const where =
      this.total >= this.index && this.total > 0
        ? `statement ${this.index} of ${this.total}`
        : `statement ${this.index}`;
    const statement = this.current.length > 400 ? `${this.current.slice(0, 400)}…` : this.current;
    return { where, statement };
  }
}

/**
 * The migration's own statement ended the transaction it runs in (it committed or rolled back
 * on its own), so what ran before it may be committed: nothing can roll it back.
 */
class TransactionEndedError extends DbDoctorError {}

/**
 * Refuses a statement that would start or end a transaction inside the migration's one
 * (run-time twin of the check SQL files get at load; see transaction-control.ts).
 */
function refuseTransactionControl(conn: Connection, text: string): void {
  for (const statement of conn.dialect.splitStatements(text)) {
    const control = transactionControl(statement);
    if (!control) continue;
    throw new DbDoctorError(
      'TRANSACTION_CONTROL_IN_MIGRATION',
      `\`${control.text}\` cannot run inside a migration: dbdoctor runs it in one transaction with its history row, and this statement would end that transaction part-way. It was not run.`,
      {
        hint: 'Remove the statement; if the migration must manage its own transactions, give it `transaction: false` (SQL: `-- migrate:up transaction:false`).',
        details: { statement: control.text },
      },
    );
  }
}

/** Throws when the transaction a migration runs in is no longer open after `statement`. */
async function assertStillInTransaction(conn: Connection, tracker: StatementTracker): Promise<void> {
  if (await conn.inTransaction()) return;
  throw new TransactionEndedError(
    'TRANSACTION_ENDED_BY_MIGRATION',
    `The transaction dbdoctor runs the migration in was ended by the migration itself (by statement ${tracker.index}: ${abbreviate(tracker.current)}).`,
    { hint: 'Remove the statement that ends the transaction, or give the migration `transaction: false`.' },
  );
}

/** A context that runs statements on `conn`, counts them, and keeps them in the transaction. */
function liveContext(
  conn: Connection,
  tracker: StatementTracker,
  transactional: boolean,
  beforeStatement?: () => Promise<void>,
  afterStatement?: () => Promise<void>,
): MigrationContext {
  const before = async (text: string) => {
    await beforeStatement?.();
    tracker.note(text);
    tracker.inCode = false;
    if (transactional) refuseTransactionControl(conn, text);
  };
  const after = async () => {
    if (transactional) await assertStillInTransaction(conn, tracker);
    tracker.inCode = true;
    await afterStatement?.();
  };
  return {
    dialect: conn.dialect.name,
    async sql(text, params) {
      await before(text);
      if (params && params.length > 0) await conn.query(text, params);
      else await conn.exec(text);
      await after();
    },
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
      await before(text);
      const rows = await conn.query<R>(text, params ?? []);
      await after();
      return rows;
    },
  };
}

/** Runs the statements of a step; in a transaction, verifies each one left it open. */
async function runStep(
  conn: Connection,
  step: MigrationStep,
  tracker: StatementTracker,
  onProgress?: (p: OperationProgress) => void,
  beforeStatement?: () => Promise<void>,
  afterStatement?: () => Promise<void>,
): Promise<void> {
  const transactional = runsInTransaction(step, conn.dialect);
  if (step.kind === 'sql') {
    tracker.total = step.statements.length;
    for (const [i, statement] of step.statements.entries()) {
      tracker.index = i + 1;
      tracker.current = statement;
      await conn.exec(statement);
      if (transactional) await assertStillInTransaction(conn, tracker);
    }
    return;
  }
  if (step.kind === 'ops') {
    tracker.total = stepCount(step, conn);
    await conn.dialect.compiler.run(conn, step.ops, {
      onStatement: (sql) => {
        if (transactional) refuseTransactionControl(conn, sql);
        tracker.note(sql);
      },
      onProgress: (p) => onProgress?.(p),
    });
    if (transactional) await assertStillInTransaction(conn, tracker);
    return;
  }
  tracker.inCode = true;
  await step.run(liveContext(conn, tracker, transactional, beforeStatement, afterStatement));
  tracker.inCode = false;
  // The function may have reached the connection some other way (the application's own handle).
  if (transactional) await assertStillInTransaction(conn, tracker);
}

function rebuildProgress(onEvent: EventListener | undefined): ((p: OperationProgress) => void) | undefined {
  return onEvent ? (p) => onEvent({ type: 'rebuild-progress', ...p }) : undefined;
}

/** The statements a step runs, when known before it runs; 0 when not (a TS migration's code). */
function stepCount(step: MigrationStep, conn: Connection): number {
  if (step.kind === 'sql') return step.statements.length;
  if (step.kind === 'ops') return conn.dialect.compiler.statementCount(step.ops) ?? 0;
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait before retry number `retry` (1-based) after a lock timeout: exponential, capped, jittered. */
function backoffMs(retry: number): number {
  return Math.min(200 * 2 ** (retry - 1), 5000) + Math.floor(Math.random() * 100);
}

/**
 * Runs a migration's step and writes its history change (insert for up, delete for down) on
 * `conn`, inside a transaction the caller has opened. Returns the milliseconds since `started`.
 */
export async function runAndRecord(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  tracker = new StatementTracker(),
  started = Date.now(),
  onEvent?: EventListener,
): Promise<number> {
  const step = direction === 'up' ? migration.up : migration.down;
  if (!step) throw new Error(`internal: ${migration.file.stem} has no ${direction} step`);
  await runStep(conn, step, tracker, rebuildProgress(onEvent));
  // Every statement ran: their count is the total, also where it was not known beforehand.
  await recordInTransaction(history, migration, direction, Date.now() - started, tracker.index);
  return Date.now() - started;
}

/**
 * Runs one migration (up or down) and writes its history change in the same transaction,
 * retrying with backoff when a statement gave up waiting for a lock. A migration marked
 * `transaction:false` is recorded as started first and finished last instead.
 */
export async function executeMigration(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  opts: ExecuteOptions,
): Promise<number> {
  const step = direction === 'up' ? migration.up : migration.down;
  if (!step) throw new Error(`internal: ${migration.file.stem} has no ${direction} step`);
  const restoreSession = await conn.dialect.engine.captureSession(conn);
  const session: SessionAfter = { returning: restoreSession.returning, observed: undefined };
  let ms: number;
  try {
    ms = await executeGuarded(conn, history, migration, direction, step, opts, session);
  } catch (e) {
    await restoreSession().catch(() => {}); // the migration's own error is the one to report
    throw e;
  }
  await restoreSessionOrThrow(() => restoreSession(session.observed), migration);
  return ms;
}

/**
 * The session state after a migration, when its last history write returned it (see
 * SessionRestore.returning): written by runOutsideTransaction, read by the restore.
 */
interface SessionAfter {
  readonly returning: string | undefined;
  observed: Row | undefined;
}

/**
 * Puts back the session state a migration changed (search_path, role, settings; see
 * EngineSql.captureSession) so the next migration and dbdoctor's own statements run as they
 * would on a fresh connection.
 */
async function restoreSessionOrThrow(
  restore: () => Promise<void>,
  migration: LoadedMigration,
): Promise<void> {
  try {
    await restore();
  } catch (e) {
    throw new DbDoctorError(
      'SESSION_RESET_FAILED',
      `After ${migration.file.stem}, dbdoctor could not put back the session settings it changed: ${errorMessage(e)}`,
      {
        unchanged: `${migration.file.stem} itself finished and is recorded; no later migration was run.`,
        hint: 'Run `dbdoctor status`, then `dbdoctor apply` again on a fresh connection.',
        cause: e,
      },
    );
  }
}

async function executeGuarded(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  step: MigrationStep,
  opts: ExecuteOptions,
  session: SessionAfter,
): Promise<number> {
  // Set up outside the transaction (SQLite: foreign key enforcement off, which a transaction ignores).
  const guard = runsInTransaction(step, conn.dialect) ? await conn.dialect.guardMigration(conn) : null;
  try {
    return await executeStep(conn, history, migration, direction, step, opts, guard, session);
  } finally {
    await guard?.restore();
  }
}

async function executeStep(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  step: MigrationStep,
  opts: ExecuteOptions,
  guard: MigrationGuard | null,
  session: SessionAfter,
): Promise<number> {
  const started = Date.now();
  if (!runsInTransaction(step, conn.dialect)) {
    // No guard here (none outside a transaction): nothing runs between its last write and the restore.
    await runOutsideTransaction(conn, history, migration, direction, step, opts, session);
    return Date.now() - started;
  }
  for (let attempt = 0; ; attempt++) {
    const tracker = new StatementTracker();
    await conn.begin();
    let warnings: string[];
    try {
      const timeout = conn.dialect.engine.lockTimeout(opts.statementLockTimeoutMs, 'transaction');
      if (timeout) await conn.exec(timeout);
      await runAndRecord(conn, history, migration, direction, tracker, started, opts.onEvent);
      tracker.checking = true;
      warnings = (await guard?.beforeCommit()) ?? [];
      await conn.commit();
    } catch (e) {
      const outcome = await endFailedTransaction(conn, e);
      if (
        outcome.kind === 'rolled-back' &&
        conn.dialect.engine.isLockTimeout(e) &&
        attempt < opts.lockRetries
      ) {
        const delayMs = backoffMs(attempt + 1);
        opts.onEvent?.({
          type: 'retry',
          id: migration.file.id,
          attempt: attempt + 1,
          delayMs,
          reason: errorMessage(e),
        });
        await sleep(delayMs);
        continue;
      }
      if (outcome.kind === 'ended-by-migration')
        await recordUncertain(history, migration, direction, tracker, e);
      throw failedInTransaction(conn, migration, direction, tracker, e, opts.before, attempt, outcome);
    }
    for (const message of warnings) opts.onEvent?.({ type: 'warning', id: migration.file.id, message });
    return Date.now() - started;
  }
}

/** A statement as an error shows it: without the secrets it writes (see EngineSql.maskSecrets). */
function mask(conn: Connection, sql: string): string {
  return maskedSql(conn.dialect, sql);
}

/** {@link StatementTracker.place} with the statement masked. */
function shownPlace(
  conn: Connection,
  tracker: StatementTracker,
): { where: string; statement: string | null } {
  const place = tracker.place();
  return { ...place, statement: place.statement === null ? null : mask(conn, place.statement) };
}

/** How a migration's transaction ended after a failure, as far as the database can tell. */
export type FailedOutcome =
  /** dbdoctor rolled it back (or found it rolled back by the database on that error). */
  | { kind: 'rolled-back'; byDatabase: boolean }
  /** A statement of the migration ended it: what ran before may be committed. */
  | { kind: 'ended-by-migration' }
  /** The connection could not say (it is gone); the reason. */
  | { kind: 'unknown'; reason: string };

/**
 * Rolls back after a failure, and says what really happened: "rolled back" only when
 * dbdoctor's ROLLBACK ran, or the transaction was already closed by an error of the
 * database (SQLite rolls back on some errors; PostgreSQL rolls back a COMMIT that fails).
 */
export async function endFailedTransaction(conn: Connection, e: unknown): Promise<FailedOutcome> {
  if (e instanceof TransactionEndedError) return { kind: 'ended-by-migration' };
  try {
    if (!(await conn.inTransaction())) return { kind: 'rolled-back', byDatabase: true };
    await conn.rollback();
    return { kind: 'rolled-back', byDatabase: false };
  } catch (rollbackError) {
    return { kind: 'unknown', reason: errorMessage(rollbackError) };
  }
}

/**
 * After the migration ended its own transaction: records it as partially applied (status
 * `started`), so `status` shows it and `apply` stops at it until `resolve` settles it.
 */
export async function recordUncertain(
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  tracker: StatementTracker,
  e: unknown,
): Promise<void> {
  const f = migration.file;
  const note = `ended its own transaction at statement ${tracker.index}: ${errorMessage(e)}`;
  try {
    const done = Math.max(0, tracker.index - 1);
    if (direction === 'down') await history.markReverting(f.id, tracker.total);
    else await recordStarted(history, migration, tracker.total);
    await history.progress(f.id, done, note);
  } catch {
    // The error message says what is known; a history that cannot be written changes nothing there.
  }
}

function abbreviate(sql: string): string {
  const one = sql.replace(/\s+/g, ' ').trim();
  return one.length > 120 ? `${one.slice(0, 120)}…` : one;
}

/** The error for a transactional migration that failed, saying only what is known. */
export function failedInTransaction(
  conn: Connection,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  tracker: StatementTracker,
  e: unknown,
  before: string | null,
  attempts: number,
  outcome: FailedOutcome,
): DbDoctorError {
  // dbdoctor's own bookkeeping failed, not the user's statement: say so (rolled back with it).
  if (e instanceof HistoryWriteError && outcome.kind === 'rolled-back')
    return historyWriteFailed(migration, direction, e, null);
  const f = migration.file;
  const { where, statement: stmt } = shownPlace(conn, tracker);
  const lockGaveUp = attempts > 0 ? ` (gave up after ${attempts + 1} attempts waiting for locks)` : '';
  const at = before ?? 'base (no migrations applied)';
  const own = e instanceof DbDoctorError ? e : null;
  const explained = own ? null : (conn.dialect.engine.explainFailure?.(e, tracker.current) ?? null);
  // A read-only, full or vanished database is not the file's fault: say what to fix instead.
  const environment = own ? null : conn.describeError(e);
  const line = explained ? lineOf(migration, tracker.current, explained.needle) : null;
  const rerun = `\`dbdoctor ${direction === 'up' ? 'apply' : 'down'}\``;
  let unchanged: string;
  let hint =
    attempts > 0
      ? 'Another session held a conflicting lock for too long; find it (pg_stat_activity) or retry later, or raise --statement-lock-timeout.'
      : environment
        ? environment.hint
        : explained
          ? `${explained.hint} Then run ${rerun} again.`
          : own?.hint || `Fix ${f.file} and run ${rerun} again.`;
  switch (outcome.kind) {
    case 'rolled-back':
      unchanged = `The migration was rolled back${outcome.byDatabase ? ' (by the database, on that error)' : ''}; the database is still at revision ${at}.`;
      break;
    case 'ended-by-migration':
      unchanged = `NOT rolled back: the migration ended dbdoctor's transaction itself, so what ran before that statement may be committed. History marks ${f.id} as partially applied.`;
      hint =
        `${own?.hint ?? ''} Inspect the database (\`dbdoctor doctor\`), undo or finish the migration by hand, then \`dbdoctor resolve ${f.id} --rolled-back\` or \`--applied\`.`.trim();
      break;
    case 'unknown':
      unchanged = `dbdoctor could not roll back or check the transaction (${outcome.reason}). A server rolls back the open transaction of a lost connection, but nothing here could verify it: run \`dbdoctor status\` to see where the database is.`;
      break;
  }
  return new DbDoctorError(
    own && !(own instanceof TransactionEndedError)
      ? own.code
      : outcome.kind === 'ended-by-migration'
        ? 'TRANSACTION_ENDED_BY_MIGRATION'
        : (explained?.code ?? 'MIGRATION_FAILED'),
    `Migration ${f.stem} failed (${direction}) at ${where}${line ? ` (${path.basename(f.file)} line ${line})` : ''}${lockGaveUp}: ${explained?.message ?? errorMessage(e)}${stmt === null ? '' : `\n  statement: ${stmt}`}`,
    {
      unchanged,
      hint,
      details: {
        ...own?.details,
        id: f.id,
        file: f.file,
        statement: stmt === null ? null : mask(conn, tracker.current),
        outcome: outcome.kind,
        databaseError: errorMessage(e),
        ...(line ? { line } : {}),
        ...(environment ? { reason: environment.code } : {}),
      },
      cause: e,
    },
  );
}

/** A history row for a migration that has started and not finished (partially applied). */
async function recordStarted(history: History, migration: LoadedMigration, total: number): Promise<void> {
  const f = migration.file;
  // Written with the previous migration's finished row (same status, checksum and count).
  if (history.takeStartedAhead(f.id)) return;
  // A repeatable run again replaces its row.
  if (f.repeatable) await history.remove(f.id);
  await history.insert({
    id: f.id,
    name: f.name,
    checksum: f.checksum,
    status: 'started',
    executionMs: 0,
    statementsDone: 0,
    statementsTotal: total,
  });
}

async function recordInTransaction(
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  executionMs: number,
  statements: number,
): Promise<void> {
  const f = migration.file;
  if (direction === 'down' || f.repeatable) await history.remove(f.id);
  if (direction === 'down') return;
  await history.insert({
    id: f.id,
    name: f.name,
    checksum: f.checksum,
    status: 'applied',
    executionMs,
    statementsDone: statements,
    statementsTotal: statements,
  });
}

/**
 * What a non-transactional migration may leave behind when a phased statement fails: the
 * invalid indexes present before it started, so the ones it left can be told apart.
 */
class Leftovers {
  private constructor(
    private readonly conn: Connection,
    private readonly before: ReadonlySet<string>,
  ) {}

  static async start(conn: Connection): Promise<Leftovers> {
    const phased = conn.dialect.phased;
    return new Leftovers(conn, new Set(phased ? await phased.invalidIndexes(conn) : []));
  }

  /** Invalid indexes this migration left, plus the one `statement` names if it is invalid. */
  async invalidIndexes(statements: readonly string[]): Promise<string[]> {
    const phased = this.conn.dialect.phased;
    if (!phased) return [];
    const found = new Set((await phased.invalidIndexes(this.conn)).filter((n) => !this.before.has(n)));
    for (const sql of statements) {
      if (phased.classify(sql) !== 'concurrent-index') continue;
      const named = await phased.namedInvalidIndex(this.conn, sql);
      if (named) found.add(named);
    }
    return [...found].sort();
  }

  /**
   * Makes a retry of `statement` (which just failed waiting for a lock) safe, or says it cannot:
   * an atomic statement left nothing; a CREATE INDEX CONCURRENTLY may have left an invalid
   * index, dropped here (its drop waits under the same lock_timeout); anything else is not retried.
   */
  async clearForRetry(statement: string): Promise<boolean> {
    const phased = this.conn.dialect.phased;
    const kind = phased?.classify(statement) ?? 'atomic';
    if (kind === 'atomic') return true;
    if (kind === 'not-retryable' || !phased) return false;
    const mine = (await phased.invalidIndexes(this.conn)).filter((n) => !this.before.has(n));
    for (const name of mine) {
      try {
        await this.conn.exec(phased.dropIndexSql(name));
      } catch {
        return false;
      }
    }
    // A pre-existing invalid index the statement names would make IF NOT EXISTS skip the build.
    return (await phased.namedInvalidIndex(this.conn, statement)) === null;
  }
}

/**
 * Runs a migration marked `transaction:false` (or DSL operations that need it), statement by
 * statement, recording it as started (up) or reverting (down) before the first statement and
 * its progress after each, so a crash shows as partially applied or partially reverted. A
 * statement that gave up waiting for a lock is retried only when that is safe (see
 * {@link Leftovers.clearForRetry}); before the final history write, every index the migration
 * built concurrently must be valid (pg_index.indisvalid), else it fails naming the index.
 */
async function runOutsideTransaction(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  step: MigrationStep,
  opts: ExecuteOptions,
  session: SessionAfter,
): Promise<void> {
  const f = migration.file;
  const total = stepCount(step, conn);
  const started = Date.now();
  try {
    await lockHeld(conn);
    if (direction === 'up') {
      await recordStarted(history, migration, total);
    } else {
      await history.markReverting(f.id, total);
    }
  } catch (e) {
    if (isLockLost(e)) throw lockLost(migration, direction, e);
    throw failed(conn, migration, direction, new StatementTracker(), e, opts, 0, 0, conn.describeError(e));
  }
  const leftovers = await Leftovers.start(conn);
  const timeout = opts.sessionLockTimeoutSet
    ? null
    : conn.dialect.engine.lockTimeout(opts.statementLockTimeoutMs, 'session');
  if (timeout) await conn.exec(timeout);
  const tracker = new StatementTracker();
  const ran: string[] = [];
  let attempt = 0;
  let done = 0;
  const execute = async (statement: string) => {
    await lockHeld(conn);
    ran.push(statement);
    for (;;) {
      try {
        await conn.exec(statement);
        break;
      } catch (e) {
        if (!conn.dialect.engine.isLockTimeout(e) || attempt >= opts.lockRetries) throw e;
        if (!(await leftovers.clearForRetry(statement))) throw e;
        attempt++;
        const delayMs = backoffMs(attempt);
        opts.onEvent?.({ type: 'retry', id: f.id, attempt, delayMs, reason: errorMessage(e) });
        await sleep(delayMs);
      }
    }
    done++;
    // After the last statement of a SQL step, the finished row (written next, at once) says so.
    if (step.kind !== 'sql' || done < total) await history.progress(f.id, done, null);
  };
  try {
    if (step.kind === 'sql') {
      tracker.total = total;
      for (const [i, statement] of step.statements.entries()) {
        tracker.index = i + 1;
        tracker.current = statement;
        await execute(statement);
      }
    } else if (step.kind === 'ops') {
      tracker.total = total;
      await conn.dialect.compiler.run(conn, step.ops, {
        onStatement: (sql) => tracker.note(sql),
        onProgress: rebuildProgress(opts.onEvent),
        exec: execute,
      });
    } else {
      // Each statement of the function is recorded once it returned, as a SQL step's are.
      await runStep(
        conn,
        step,
        tracker,
        rebuildProgress(opts.onEvent),
        () => lockHeld(conn),
        () => history.progress(f.id, tracker.index, null),
      );
      done = tracker.index;
    }
  } catch (e) {
    // In the function's own code, its last statement had returned; else that statement failed.
    if (step.kind === 'module') done = tracker.inCode ? tracker.index : Math.max(0, tracker.index - 1);
    // Another runner owns the lock now: history is its to write, not ours.
    if (isLockLost(e)) throw lockLost(migration, direction, e);
    const invalid = leftIndexes(conn, await leftovers.invalidIndexes(ran).catch(() => []));
    await history.progress(f.id, done, errorMessage(e)).catch(() => {});
    throw failed(conn, migration, direction, tracker, e, opts, attempt, done, conn.describeError(e), invalid);
  } finally {
    if (timeout && conn.dialect.engine.resetLockTimeout)
      await conn.exec(conn.dialect.engine.resetLockTimeout).catch(() => {});
  }
  try {
    await lockHeld(conn);
  } catch (e) {
    throw isLockLost(e) ? lockLost(migration, direction, e) : e;
  }
  const invalid = leftIndexes(conn, await leftovers.invalidIndexes(ran));
  try {
    if (invalid.indexes.length > 0) {
      await history.progress(f.id, done, `left invalid index(es) ${invalid.indexes.join(', ')}`);
      throw invalidIndexError(migration, direction, invalid);
    }
    const next = direction === 'up' ? opts.next : undefined;
    if (next && !runsInTransaction(next.up, conn.dialect)) {
      const n = next.file;
      const finished = { ...f, executionMs: Date.now() - started, statements: done };
      // The first statement after the migration's last: it can return the session state too.
      const state = await history.markAppliedAndStart(
        finished,
        {
          id: n.id,
          name: n.name,
          checksum: n.checksum,
          status: 'started',
          executionMs: 0,
          statementsDone: 0,
          statementsTotal: stepCount(next.up, conn),
          replace: n.repeatable ?? false,
        },
        session.returning,
      );
      session.observed = state ?? undefined;
    } else if (direction === 'up') await history.markApplied(f.id, f.checksum, Date.now() - started, done);
    else await history.remove(f.id);
  } catch (e) {
    if (e instanceof DbDoctorError && !(e instanceof HistoryWriteError)) throw e;
    throw failed(conn, migration, direction, tracker, e, opts, attempt, done, conn.describeError(e));
  }
}

/**
 * Outside a transaction nothing the database does stops a runner that lost its lock, so it
 * checks before each statement and before its last history write (see Connection.assertLockHeld).
 */
async function lockHeld(conn: Connection): Promise<void> {
  await conn.assertLockHeld?.();
}

function isLockLost(e: unknown): e is DbDoctorError {
  return e instanceof DbDoctorError && e.code === 'LOCK_LOST';
}

function lockLost(migration: LoadedMigration, direction: 'up' | 'down', cause: DbDoctorError): DbDoctorError {
  const f = migration.file;
  return new DbDoctorError(
    'LOCK_LOST',
    `Migration ${f.stem} (${direction}) stopped: this runner lost the migration lock (its lease ran out and another runner took it over), so it ran no further statement.`,
    {
      unchanged: `Statements of ${f.stem} that ran before stayed ${direction === 'up' ? 'applied' : 'in effect'} (it runs outside a transaction); this runner did not record ${f.id} as ${direction === 'up' ? 'applied' : 'reverted'}.`,
      hint: `Run \`dbdoctor status\` to see where the database is; when no other runner is working, finish or undo ${f.stem} by hand and run \`dbdoctor resolve ${f.id} --applied\` or \`--rolled-back\`. Raise --lock-lease if a statement runs longer than the lease.`,
      details: { id: f.id, file: f.file },
      cause,
    },
  );
}

/** Invalid indexes a failed migration left, and the commands that drop them. */
interface LeftIndexes {
  indexes: string[];
  cleanup: string;
}

function leftIndexes(conn: Connection, indexes: string[]): LeftIndexes {
  const drop = conn.dialect.phased?.dropIndexSql;
  return { indexes, cleanup: drop ? indexes.map((n) => `${drop(n)};`).join(' ') : '' };
}

function invalidIndexError(
  migration: LoadedMigration,
  direction: 'up' | 'down',
  left: LeftIndexes,
): DbDoctorError {
  const invalid = left.indexes;
  const f = migration.file;
  const partly = direction === 'up' ? 'partially applied' : 'partially reverted';
  return new DbDoctorError(
    'INDEX_INVALID',
    `Migration ${f.stem} (${direction}) ran every statement, but left INVALID index(es) ${invalid.join(', ')} (pg_index.indisvalid is false: a CREATE INDEX CONCURRENTLY failed earlier, and IF NOT EXISTS skipped rebuilding it).`,
    {
      unchanged: `Its statements stayed applied; history marks ${f.id} as ${partly}, not ${direction === 'up' ? 'applied' : 'reverted'}.`,
      hint: `Drop the invalid index(es) (${left.cleanup}), then \`dbdoctor resolve ${f.id} --rolled-back\` and run \`dbdoctor ${direction === 'up' ? 'apply' : 'down'}\` again.`,
      details: { id: f.id, file: f.file, invalidIndexes: invalid },
    },
  );
}

function failed(
  conn: Connection,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  tracker: StatementTracker,
  e: unknown,
  opts: ExecuteOptions,
  attempts: number,
  partialDone: number | null,
  environment: DbDoctorError | null,
  left: LeftIndexes = { indexes: [], cleanup: '' },
): DbDoctorError {
  const invalidIndexes = left.indexes;
  if (e instanceof HistoryWriteError) return historyWriteFailed(migration, direction, e, partialDone);
  const stem = migration.file.stem;
  const { where, statement: stmt } = shownPlace(conn, tracker);
  const lockGaveUp = attempts > 0 ? ` (gave up after ${attempts + 1} attempts waiting for locks)` : '';
  const at = opts.before ?? 'base (no migrations applied)';
  const partly = direction === 'up' ? 'partially applied' : 'partially reverted';
  const leftText =
    invalidIndexes.length > 0
      ? ` It left INVALID index(es) ${invalidIndexes.join(', ')} (pg_index.indisvalid is false).`
      : '';
  const unchanged =
    partialDone === null
      ? `The migration was rolled back; the database is still at revision ${at}.`
      : `This migration runs outside a transaction: ${partialDone} statement(s) before the failing one ${direction === 'up' ? 'stayed applied' : 'took effect'}, and history marks ${migration.file.id} as ${partly}.${leftText}`;
  const cleanup = invalidIndexes.length > 0 ? `Drop the invalid index(es) first: ${left.cleanup} ` : '';
  // A read-only, full or vanished database is not the file's fault: say what to fix instead.
  const hint =
    partialDone === null && environment
      ? environment.hint
      : partialDone === null
        ? attempts > 0
          ? 'Another session held a conflicting lock for too long; find it (pg_stat_activity) or retry later, or raise --statement-lock-timeout.'
          : `Fix ${migration.file.file} and run \`dbdoctor ${direction === 'up' ? 'apply' : 'down'}\` again.`
        : `${cleanup}Undo or finish those statements by hand, then \`dbdoctor resolve ${migration.file.id} --rolled-back\` or \`--applied\`.`;
  const explained = conn.dialect.engine.explainFailure?.(e, tracker.current) ?? null;
  const line = explained ? lineOf(migration, tracker.current, explained.needle) : null;
  return new DbDoctorError(
    explained?.code ?? (partialDone === null ? 'MIGRATION_FAILED' : 'MIGRATION_PARTIAL'),
    `Migration ${stem} failed (${direction}) at ${where}${line ? ` (${path.basename(migration.file.file)} line ${line})` : ''}${lockGaveUp}: ${explained?.message ?? errorMessage(e)}${stmt === null ? '' : `\n  statement: ${stmt}`}`,
    {
      unchanged,
      hint: explained
        ? `${explained.hint} Then run \`dbdoctor ${direction === 'up' ? 'apply' : 'down'}\` again.`
        : hint,
      details: {
        id: migration.file.id,
        file: migration.file.file,
        statement: stmt === null ? null : mask(conn, tracker.current),
        databaseError: errorMessage(e),
        ...(line ? { line } : {}),
        ...(environment ? { reason: environment.code } : {}),
        ...(invalidIndexes.length > 0 ? { invalidIndexes } : {}),
      },
      cause: e,
    },
  );
}

/** The 1-based line of the migration file holding `needle` (searched from the statement on), or null. */
function lineOf(migration: LoadedMigration, statement: string, needle: string): number | null {
  let text: string;
  try {
    text = migration.file.text ?? fs.readFileSync(migration.file.file, 'utf8');
  } catch {
    return null;
  }
  const from = Math.max(0, text.indexOf(statement));
  const at = text.indexOf(needle, from);
  return at < 0 ? null : text.slice(0, at).split('\n').length;
}

/** A failure of dbdoctor's own history statement, said to be dbdoctor's and not the user's. */
function historyWriteFailed(
  migration: LoadedMigration,
  direction: 'up' | 'down',
  e: HistoryWriteError,
  partialDone: number | null,
): DbDoctorError {
  const f = migration.file;
  return new DbDoctorError('HISTORY_WRITE_FAILED', `Migration ${f.stem} (${direction}): ${e.message}`, {
    unchanged:
      partialDone === null
        ? 'The migration and its history change were rolled back together; the database is where it was.'
        : `This migration runs outside a transaction: ${partialDone} statement(s) ran; its history row may not say so. Run \`dbdoctor status\`.`,
    hint: e.hint,
    details: { id: f.id, file: f.file, ...e.details },
    cause: e,
  });
}
