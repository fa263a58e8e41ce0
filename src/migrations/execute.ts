import type { Connection, Row } from '../dialects/dialect.js';
import type { RebuildProgress } from '../dialects/sqlite/rebuild.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { foreignKeysOffAround, needsForeignKeysOff, runOperations } from '../ops/run.js';
import type { MigrationContext } from './define.js';
import type { EventListener } from './events.js';
import type { History } from './history.js';
import { type LoadedMigration, type MigrationStep, runsInTransaction } from './load.js';

/** How a migration is run. */
export interface ExecuteOptions {
  statementLockTimeoutMs: number;
  lockRetries: number;
  onEvent?: EventListener;
  /** The revision the database is at before this migration, for error messages. */
  before: string | null;
}

/** Tracks which statement a step is on, so a failure can name it. */
export class StatementTracker {
  index = 0;
  current = '';
  total = 0;

  /** A statement about to run, one more than the last (for steps that do not know their count). */
  note(sql: string): void {
    this.current = sql;
    this.index++;
    this.total = Math.max(this.total, this.index);
  }
}

/** A context that runs statements on `conn` and counts them. */
function liveContext(conn: Connection, tracker: StatementTracker): MigrationContext {
  return {
    dialect: conn.dialect.name,
    async sql(text, params) {
      tracker.note(text);
      if (params && params.length > 0) await conn.query(text, params);
      else await conn.exec(text);
    },
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
      tracker.note(text);
      return conn.query<R>(text, params ?? []);
    },
  };
}

/** Runs the statements of a step. */
async function runStep(
  conn: Connection,
  step: MigrationStep,
  tracker: StatementTracker,
  onProgress?: (p: RebuildProgress) => void,
): Promise<void> {
  if (step.kind === 'sql') {
    tracker.total = step.statements.length;
    for (const [i, statement] of step.statements.entries()) {
      tracker.index = i + 1;
      tracker.current = statement;
      await conn.exec(statement);
    }
    return;
  }
  if (step.kind === 'ops') {
    await runOperations(conn, step.ops, {
      onStatement: (sql) => tracker.note(sql),
      onProgress: (p) => onProgress?.(p),
    });
    return;
  }
  await step.run(liveContext(conn, tracker));
}

function rebuildProgress(onEvent: EventListener | undefined): ((p: RebuildProgress) => void) | undefined {
  return onEvent ? (p) => onEvent({ type: 'rebuild-progress', ...p }) : undefined;
}

function stepCount(step: MigrationStep): number {
  return step.kind === 'sql' ? step.statements.length : 0;
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
  await recordInTransaction(
    history,
    migration,
    direction,
    Date.now() - started,
    tracker.total || stepCount(step),
  );
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
  // A SQLite rebuild needs foreign key enforcement off, which only works outside a transaction.
  const restoreForeignKeys =
    step.kind === 'ops' && needsForeignKeysOff(conn.dialect.name, step.ops)
      ? await foreignKeysOffAround(conn)
      : null;
  try {
    return await executeStep(conn, history, migration, direction, step, opts);
  } finally {
    await restoreForeignKeys?.();
  }
}

async function executeStep(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  step: MigrationStep,
  opts: ExecuteOptions,
): Promise<number> {
  const started = Date.now();
  if (!runsInTransaction(step, conn.dialect.name)) {
    await runOutsideTransaction(conn, history, migration, direction, step, opts);
    return Date.now() - started;
  }
  for (let attempt = 0; ; attempt++) {
    const tracker = new StatementTracker();
    await conn.begin();
    try {
      const timeout = conn.dialect.engine.lockTimeout(opts.statementLockTimeoutMs, 'transaction');
      if (timeout) await conn.exec(timeout);
      await runAndRecord(conn, history, migration, direction, tracker, started, opts.onEvent);
      await conn.commit();
      return Date.now() - started;
    } catch (e) {
      await conn.rollback().catch(() => {});
      if (conn.dialect.engine.isLockTimeout(e) && attempt < opts.lockRetries) {
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
      throw failed(migration, direction, tracker, e, opts, attempt, null, conn.describeError(e));
    }
  }
}

async function recordInTransaction(
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  executionMs: number,
  statements: number,
): Promise<void> {
  const f = migration.file;
  if (direction === 'down') {
    await history.remove(f.id);
    return;
  }
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

async function runOutsideTransaction(
  conn: Connection,
  history: History,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  step: MigrationStep,
  opts: ExecuteOptions,
): Promise<void> {
  const f = migration.file;
  const total = stepCount(step);
  const started = Date.now();
  if (direction === 'up') {
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
  const timeout = conn.dialect.engine.lockTimeout(opts.statementLockTimeoutMs, 'session');
  if (timeout) await conn.exec(timeout);
  const tracker = new StatementTracker();
  let attempt = 0;
  try {
    if (step.kind === 'sql') {
      for (const [i, statement] of step.statements.entries()) {
        tracker.total = total;
        tracker.index = i + 1;
        tracker.current = statement;
        for (;;) {
          try {
            await conn.exec(statement);
            break;
          } catch (e) {
            if (!conn.dialect.engine.isLockTimeout(e) || attempt >= opts.lockRetries) throw e;
            attempt++;
            const delayMs = backoffMs(attempt);
            opts.onEvent?.({ type: 'retry', id: f.id, attempt, delayMs, reason: errorMessage(e) });
            await sleep(delayMs);
          }
        }
        if (direction === 'up') await history.progress(f.id, i + 1, null);
      }
    } else {
      await runStep(conn, step, tracker, rebuildProgress(opts.onEvent));
    }
  } catch (e) {
    const done = Math.max(0, tracker.index - 1);
    if (direction === 'up') await history.progress(f.id, done, errorMessage(e)).catch(() => {});
    throw failed(migration, direction, tracker, e, opts, attempt, done, conn.describeError(e));
  } finally {
    if (conn.dialect.engine.resetLockTimeout)
      await conn.exec(conn.dialect.engine.resetLockTimeout).catch(() => {});
  }
  if (direction === 'up') await history.markApplied(f.id, f.checksum, Date.now() - started);
  else await history.remove(f.id);
}

function failed(
  migration: LoadedMigration,
  direction: 'up' | 'down',
  tracker: StatementTracker,
  e: unknown,
  opts: ExecuteOptions,
  attempts: number,
  partialDone: number | null,
  environment: DbDoctorError | null,
): DbDoctorError {
  const stem = migration.file.stem;
  const where =
    tracker.total > 0 ? `statement ${tracker.index} of ${tracker.total}` : `statement ${tracker.index}`;
  const stmt = tracker.current.length > 400 ? `${tracker.current.slice(0, 400)}…` : tracker.current;
  const lockGaveUp = attempts > 0 ? ` (gave up after ${attempts + 1} attempts waiting for locks)` : '';
  const at = opts.before ?? 'base (no migrations applied)';
  const unchanged =
    partialDone === null
      ? `The migration was rolled back; the database is still at revision ${at}.`
      : `This migration runs outside a transaction: ${partialDone} statement(s) before the failing one stayed applied, and history marks ${migration.file.id} as partially applied.`;
  // A read-only, full or vanished database is not the file's fault: say what to fix instead.
  const hint =
    partialDone === null && environment
      ? environment.hint
      : partialDone === null
        ? attempts > 0
          ? 'Another session held a conflicting lock for too long; find it (pg_stat_activity) or retry later, or raise --statement-lock-timeout.'
          : `Fix ${migration.file.file} and run \`dbdoctor ${direction === 'up' ? 'apply' : 'down'}\` again.`
        : `Undo or finish those statements by hand, then \`dbdoctor resolve ${migration.file.id} --rolled-back\` or \`--applied\`.`;
  return new DbDoctorError(
    partialDone === null ? 'MIGRATION_FAILED' : 'MIGRATION_PARTIAL',
    `Migration ${stem} failed (${direction}) at ${where}${lockGaveUp}: ${errorMessage(e)}\n  statement: ${stmt}`,
    {
      unchanged,
      hint,
      details: {
        id: migration.file.id,
        file: migration.file.file,
        statement: tracker.current,
        databaseError: errorMessage(e),
        ...(environment ? { reason: environment.code } : {}),
      },
      cause: e,
    },
  );
}
