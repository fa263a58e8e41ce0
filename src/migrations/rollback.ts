import { DbDoctorError } from '../errors.js';
import { problemsError, resolveTarget } from './apply.js';
import { backupBeforeChange, pruneBackups } from './backup.js';
import {
  DEFAULT_LOCK_RETRIES,
  DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
  type EngineOptions,
  type EngineSession,
  usingSession,
  withLock,
} from './engine.js';
import { announced } from './events.js';
import { executeMigration } from './execute.js';
import { compareIds, highestId } from './files.js';
import { type HistoryRow, isSettled } from './history.js';
import { type LoadedMigration, loadMigration } from './load.js';
import { compareFilesWithHistory } from './plan.js';

/** Options of {@link rollback}. */
export interface RollbackOptions extends EngineOptions {
  /** Revert every applied migration newer than this id (`base`: all of them). */
  to?: string;
  /** Revert this many of the most recently applied migrations. Default 1. */
  steps?: number;
  dryRun?: boolean;
}

/** What {@link rollback} did (or would do). */
export interface RollbackResult {
  dialect: string;
  /** The database, as shown to people (no password). */
  database: string;
  dryRun: boolean;
  before: string | null;
  after: string | null;
  reverted: { id: string; name: string; ms: number }[];
  backup: string | null;
}

function chooseRows(applied: HistoryRow[], session: EngineSession, options: RollbackOptions): HistoryRow[] {
  // Repeatables (Flyway's R__) have no down: they stay recorded and run again when they change.
  const repeatable = new Set(session.files.filter((f) => f.repeatable).map((f) => f.id));
  const newestFirst = [...applied].filter((r) => !repeatable.has(r.id)).sort((a, b) => b.seq - a.seq);
  if (options.to !== undefined && options.steps !== undefined) {
    throw new DbDoctorError('BAD_USAGE', 'Give either --to or --steps, not both.', {
      unchanged: 'Nothing was changed.',
    });
  }
  if (options.to !== undefined) {
    if (options.to === 'base') return newestFirst;
    const target = resolveTarget(session.files, options.to);
    if (!applied.some((r) => r.id === target.id)) {
      throw new DbDoctorError(
        'NOT_APPLIED',
        `Migration ${target.stem} is not applied, so it cannot be the target of down.`,
        {
          unchanged: 'Nothing was changed.',
          hint: 'Run `dbdoctor history` to see the applied migrations.',
        },
      );
    }
    return newestFirst.filter((r) => compareIds(r.id, target.id) > 0);
  }
  const steps = options.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new DbDoctorError('BAD_USAGE', `--steps must be a whole number of at least 1 (got ${steps}).`, {
      unchanged: 'Nothing was changed.',
    });
  }
  if (steps > newestFirst.length) {
    throw new DbDoctorError(
      'DOWN_PAST_BASE',
      `Cannot revert ${steps} migration(s): only ${newestFirst.length} ${newestFirst.length === 1 ? 'is' : 'are'} applied.`,
      { unchanged: 'Nothing was changed.', hint: 'Use `dbdoctor down --to base` to revert everything.' },
    );
  }
  return newestFirst.slice(0, steps);
}

/**
 * Reverts applied migrations, newest first, each with its history row in one transaction.
 * Every migration to revert must have a down section; otherwise nothing runs.
 */
export async function rollback(options: RollbackOptions): Promise<RollbackResult> {
  return usingSession(options, async (session) => {
    const run = async () => {
      const rows = (await session.history.read()) ?? [];
      const state = compareFilesWithHistory(session.files, rows);
      const chosen = chooseRows(rows.filter(isSettled), session, options);
      const ids = new Set(chosen.map((r) => r.id));
      const problems = state.problems.filter(
        (p) => p.code === 'PARTIALLY_APPLIED' || p.code === 'PARTIALLY_REVERTED' || ids.has(p.id),
      );
      if (problems.length > 0) throw problemsError(problems, 'revert');
      const loaded: LoadedMigration[] = [];
      for (const row of chosen)
        loaded.push(await loadMigration(session.files.find((f) => f.id === row.id)!, session.conn.dialect));
      const noDown = loaded.filter((m) => !m.down);
      if (noDown.length > 0) {
        throw new DbDoctorError(
          'NO_DOWN',
          `Cannot revert: ${noDown.map((m) => m.file.stem).join(', ')} has no down section.`,
          {
            unchanged: 'Nothing was changed.',
            // Only a dialect with online backups has `dbdoctor restore`; elsewhere the backup is the user's.
            hint: `${noDownHint(noDown[0]!.file.format)}, or ${session.conn.dialect.capabilities.onlineBackup ? 'restore a backup with `dbdoctor restore FILE`' : `restore the database from a backup of your own (dbdoctor backs up only database files it can copy online; not ${session.conn.dialect.name})`}.`,
          },
        );
      }
      const remaining = new Set(rows.filter((r) => !ids.has(r.id) && isSettled(r)).map((r) => r.id));
      const after = highestId(remaining);
      const result: RollbackResult = {
        dialect: session.conn.dialect.name,
        database: session.conn.display,
        dryRun: options.dryRun ?? false,
        before: state.current,
        after: options.dryRun ? after : state.current,
        reverted: [],
        backup: null,
      };
      if (options.dryRun) {
        result.reverted = loaded.map((m) => ({ id: m.file.id, name: m.file.name, ms: 0 }));
        return result;
      }
      if (loaded.length === 0) return result;
      const { conn, history } = session;
      result.backup = await backupBeforeChange(
        conn,
        'before-down',
        history.table,
        options.backup,
        options.onEvent,
      );
      // Known in memory: each down removes exactly its own history row.
      const stillApplied = new Set(state.applied.filter(isSettled).map((r) => r.id));
      let current = state.current;
      for (const [index, m] of loaded.entries()) {
        const ms = await announced(options.onEvent, m.file, 'down', { index, total: loaded.length }, () =>
          executeMigration(conn, history, m, 'down', {
            statementLockTimeoutMs: options.statementLockTimeoutMs ?? DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
            lockRetries: options.lockRetries ?? DEFAULT_LOCK_RETRIES,
            onEvent: options.onEvent,
            before: current,
          }),
        );
        stillApplied.delete(m.file.id);
        current = highestId(stillApplied);
        result.reverted.push({ id: m.file.id, name: m.file.name, ms });
      }
      result.after = current;
      pruneBackups(conn, result.backup, options.backup, options.onEvent);
      return result;
    };
    return options.dryRun ? run() : withLock(session.lock, session.options, run);
  });
}

/** How a migration gets a down in its folder's layout. */
function noDownHint(format: string | undefined): string {
  switch (format) {
    case 'prisma':
    case 'drizzle':
      return `${format === 'prisma' ? 'Prisma' : 'Drizzle'} migrations have no down: write the reverse as a new migration`;
    case 'golang-migrate':
    case 'sqlx':
      return 'Add the <version>_<name>.down.sql file beside the .up.sql';
    case 'diesel':
      return 'Add down.sql to the migration folder';
    case 'flyway':
      return 'Add an undo migration U<version>__<description>.sql';
    case 'goose':
      return 'Add a "-- +goose Down" section';
    default:
      return 'Add a "-- migrate:down" section (or a down function)';
  }
}
