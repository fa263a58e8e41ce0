import { DbDoctorError } from '../errors.js';
import { backupBeforeChange, pruneBackups } from './backup.js';
import {
  DEFAULT_LOCK_RETRIES,
  DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
  type EngineOptions,
  type EngineSession,
  readOnlyView,
  usingSession,
  withLock,
} from './engine.js';
import { announced } from './events.js';
import {
  endFailedTransaction,
  executeMigration,
  failedInTransaction,
  recordUncertain,
  runAndRecord,
  StatementTracker,
} from './execute.js';
import { compareIds, findMigration, highestId, type MigrationFile } from './files.js';
import { lintError, lintLoaded, type MigrationLintFinding } from './lint.js';
import { type LoadedMigration, loadMigration, runsInTransaction } from './load.js';
import { compareFilesWithHistory, type MigrationState, type Problem } from './plan.js';

/** Options of {@link migrate}. */
export interface MigrateOptions extends EngineOptions {
  /** Apply up to and including this id (or file stem). */
  to?: string;
  /** Report what would run; change nothing. */
  dryRun?: boolean;
  /** Apply pending migrations older than applied ones instead of refusing. */
  allowOutOfOrder?: boolean;
  /** Run every pending migration in one transaction: all or nothing. */
  singleTransaction?: boolean;
  /** Apply even when lints found unsafe changes. */
  force?: boolean;
  /** Tables with at least this many rows count as large for the lints. Default 100,000. */
  largeTableRows?: number;
  /** Called with the lint findings (warnings, and errors when forced) before applying. */
  onLint?: (findings: MigrationLintFinding[]) => void;
}

/** What {@link migrate} did (or, with `dryRun`, would do). */
export interface MigrateResult {
  dialect: string;
  /** The database, as shown to people (no password). */
  database: string;
  /** False only in a dry run against a database that does not exist yet (nothing was created). */
  exists: boolean;
  dryRun: boolean;
  before: string | null;
  after: string | null;
  /** The migrations run (with `dryRun`, the ones that would run). */
  applied: { id: string; name: string; ms: number }[];
  /** The backup taken before migrating, if any. */
  backup: string | null;
}

/** Turns blocking problems into one error that lists them all. */
export function problemsError(problems: Problem[], action: string): DbDoctorError {
  const first = problems[0]!;
  const list = problems.map((p) => `  - ${p.message}`).join('\n');
  return new DbDoctorError(
    first.code,
    `Cannot ${action}: ${problems.length === 1 ? first.message : `\n${list}`}`,
    {
      unchanged: 'Nothing was changed.',
      hint: problems.length === 1 ? first.fix : problems.map((p) => p.fix).join('\n'),
      details: { problems },
    },
  );
}

/** Resolves `--to` against the files; throws UNKNOWN_REVISION. */
export function resolveTarget(files: readonly MigrationFile[], ref: string): MigrationFile {
  const file = findMigration(files, ref);
  if (!file) {
    throw new DbDoctorError('UNKNOWN_REVISION', `No migration has the id or name "${ref}".`, {
      unchanged: 'Nothing was changed.',
      hint: 'Run `dbdoctor status` to list the known migrations.',
    });
  }
  return file;
}

function blocking(state: MigrationState, allowOutOfOrder: boolean): Problem[] {
  return state.problems.filter((p) => !(allowOutOfOrder && p.code === 'OUT_OF_ORDER'));
}

function selectTargets(
  files: readonly MigrationFile[],
  state: MigrationState,
  to: string | undefined,
): MigrationFile[] {
  if (to === undefined) return state.pending;
  const target = resolveTarget(files, to);
  return state.pending.filter((f) => compareIds(f.id, target.id) <= 0);
}

/**
 * Applies pending migrations, each in its own transaction together with its history row
 * (or all in one with `singleTransaction`), holding the migration lock. On SQLite files an
 * online backup is taken first. Safe to call from several processes at once.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  if (options.dryRun) return dryRun(options);
  return usingSession(options, (session) =>
    withLock(session.lock, session.options, () => applyLocked(session, options)),
  );
}

/** What `apply` would do, read-only: a database that does not exist yet is not created. */
async function dryRun(options: MigrateOptions): Promise<MigrateResult> {
  return readOnlyView(options, async (view) => {
    const state = compareFilesWithHistory(view.files, view.rows, view.runner);
    const problems = blocking(state, options.allowOutOfOrder ?? false);
    if (problems.length > 0) throw problemsError(problems, 'apply');
    const targets = selectTargets(view.files, state, options.to);
    // Parse errors and lint errors stop a dry run exactly as they would stop the apply.
    const loaded: LoadedMigration[] = [];
    for (const f of targets) loaded.push(await loadMigration(f, view.dialect));
    const findings = await lintLoaded(view.dialect, view.conn, loaded, {
      largeTableRows: options.largeTableRows,
    });
    if (findings.some((f) => f.severity === 'error') && !options.force) throw lintError(findings);
    if (findings.length > 0) options.onLint?.(findings);
    return {
      dialect: view.dialect.name,
      database: view.display,
      exists: view.exists,
      dryRun: true,
      before: state.current,
      after: targets.length > 0 ? targets[targets.length - 1]!.id : state.current,
      applied: targets.map((f) => ({ id: f.id, name: f.name, ms: 0 })),
      backup: null,
    };
  });
}

async function applyLocked(session: EngineSession, options: MigrateOptions): Promise<MigrateResult> {
  const { conn, history } = session;
  const state = compareFilesWithHistory(session.files, (await history.read()) ?? []);
  const problems = blocking(state, options.allowOutOfOrder ?? false);
  if (problems.length > 0) throw problemsError(problems, 'apply');
  const targets = selectTargets(session.files, state, options.to);
  const result: MigrateResult = {
    dialect: conn.dialect.name,
    database: conn.display,
    exists: true,
    dryRun: false,
    before: state.current,
    after: state.current,
    applied: [],
    backup: null,
  };
  if (targets.length === 0) return result;
  try {
    return await applyTargets(session, options, state, targets, result);
  } catch (e) {
    throw withRunSoFar(e, result);
  }
}

/**
 * `e` saying, besides its own account of the failing migration, which migrations this run
 * applied before it and the revision the database is at now (text and `--json` details:
 * `database`, `applied`, `revision`).
 */
function withRunSoFar(e: unknown, result: MigrateResult): unknown {
  if (!(e instanceof DbDoctorError)) return e;
  const at = result.after ?? 'base (no migrations applied)';
  const ran =
    result.applied.length > 0
      ? `Applied and recorded before it: ${result.applied.map((a) => `${a.id}_${a.name}`).join(', ')}. `
      : '';
  const said = e.unchanged.includes(`still at revision ${at}`);
  const where = said ? '' : ` The last revision fully applied is ${at}.`;
  return new DbDoctorError(e.code, e.message, {
    unchanged: `${ran}${e.unchanged}${where}`.trim(),
    hint: e.hint,
    details: { ...e.details, database: result.database, applied: result.applied, revision: result.after },
    cause: e.cause ?? e,
  });
}

async function applyTargets(
  session: EngineSession,
  options: MigrateOptions,
  state: MigrationState,
  targets: MigrationFile[],
  result: MigrateResult,
): Promise<MigrateResult> {
  const { conn, history } = session;
  // Load everything first, so a broken file stops the run before anything changes.
  const loaded: LoadedMigration[] = [];
  for (const f of targets) loaded.push(await loadMigration(f, session.conn.dialect));
  const findings = await lintLoaded(conn.dialect, conn, loaded, { largeTableRows: options.largeTableRows });
  if (findings.some((f) => f.severity === 'error') && !options.force) throw lintError(findings);
  if (findings.length > 0) options.onLint?.(findings);
  if (options.singleTransaction) {
    const outside = loaded.find((m) => !runsInTransaction(m.up, session.conn.dialect));
    if (outside) {
      throw new DbDoctorError(
        'SINGLE_TRANSACTION_IMPOSSIBLE',
        `--single-transaction cannot include ${outside.file.stem}, which must run outside a transaction.`,
        {
          unchanged: 'Nothing was changed.',
          hint: `Apply up to the migration before it first: \`dbdoctor apply --to <id>\`.`,
        },
      );
    }
  }
  result.backup = await backupBeforeChange(
    conn,
    'before-apply',
    history.table,
    options.backup,
    options.onEvent,
  );
  const exec = {
    statementLockTimeoutMs: options.statementLockTimeoutMs ?? DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
    lockRetries: options.lockRetries ?? DEFAULT_LOCK_RETRIES,
    onEvent: options.onEvent,
    before: state.current,
  };
  if (options.singleTransaction) {
    await runAllInOneTransaction(session, loaded, result, options);
    pruneBackups(conn, result.backup, options.backup, options.onEvent);
    return result;
  }
  // When every migration runs outside a transaction (every one on MySQL), the session lock
  // timeout is set once for the run instead of set and reset around each migration.
  const sessionTimeout = loaded.every((m) => !runsInTransaction(m.up, conn.dialect))
    ? conn.dialect.engine.lockTimeout(exec.statementLockTimeoutMs, 'session')
    : null;
  try {
    if (sessionTimeout) await conn.exec(sessionTimeout);
    for (const [index, m] of loaded.entries()) {
      const next = loaded[index + 1];
      const ms = await announced(options.onEvent, m.file, 'up', { index, total: loaded.length }, () =>
        executeMigration(conn, history, m, 'up', {
          ...exec,
          before: result.after,
          next,
          sessionLockTimeoutSet: sessionTimeout !== null,
        }),
      );
      result.applied.push({ id: m.file.id, name: m.file.name, ms });
      result.after = highestId([result.after, m.file.id]);
    }
  } catch (e) {
    // The next migration's started row was written with this one's finished row, and it never
    // ran: remove that row, unless another runner owns the lock now (history is its to write).
    if (!(e instanceof DbDoctorError && e.code === 'LOCK_LOST'))
      await history.withdrawStartedAhead().catch(() => {});
    throw e;
  } finally {
    const reset = conn.dialect.engine.resetLockTimeout;
    if (sessionTimeout && reset) await conn.exec(reset).catch(() => {});
  }
  pruneBackups(conn, result.backup, options.backup, options.onEvent);
  return result;
}

async function runAllInOneTransaction(
  session: EngineSession,
  loaded: LoadedMigration[],
  result: MigrateResult,
  options: MigrateOptions,
): Promise<void> {
  const { conn, history } = session;
  const applied: MigrateResult['applied'] = [];
  // One guard around the one transaction (SQLite: foreign keys off outside it, checked before COMMIT).
  const guard = await conn.dialect.guardMigration(conn);
  let warnings: string[] = [];
  let tracker = new StatementTracker();
  try {
    await conn.begin();
    try {
      for (const [index, m] of loaded.entries()) {
        tracker = new StatementTracker();
        const ms = await announced(options.onEvent, m.file, 'up', { index, total: loaded.length }, () =>
          runAndRecord(conn, history, m, 'up', tracker),
        );
        applied.push({ id: m.file.id, name: m.file.name, ms });
      }
      tracker.checking = true;
      warnings = (await guard?.beforeCommit()) ?? [];
      await conn.commit();
    } catch (e) {
      const outcome = await endFailedTransaction(conn, e);
      const failedAt = loaded[Math.min(applied.length, loaded.length - 1)]!;
      if (outcome.kind === 'ended-by-migration') await recordUncertain(history, failedAt, 'up', tracker, e);
      const err = failedInTransaction(conn, failedAt, 'up', tracker, e, result.before, 0, outcome);
      if (outcome.kind === 'rolled-back') {
        throw new DbDoctorError(err.code, err.message, {
          unchanged: `--single-transaction: everything was rolled back${outcome.byDatabase ? ' (by the database, on that error)' : ''}; the database is still at revision ${result.before ?? 'base (no migrations applied)'}.`,
          hint: `Fix ${failedAt.file.file} and run \`dbdoctor apply --single-transaction\` again.`,
          details: err.details,
          cause: e,
        });
      }
      throw err;
    }
  } finally {
    await guard?.restore();
  }
  const last = loaded[loaded.length - 1]!.file.id;
  for (const message of warnings) options.onEvent?.({ type: 'warning', id: last, message });
  result.applied = applied;
  result.after = highestId([result.before, ...applied.map((a) => a.id)]);
}
