import type { CopyProgress, LockOwner } from '../dialects/dialect.js';

/** Events the engine emits while it works; the CLI renders them as progress. */
export type MigrationEvent =
  | { type: 'lock-wait'; holder: LockOwner | null }
  /** The lock was left by an owner that is gone (dead process, or expired lease); it was taken over. */
  | { type: 'lock-takeover'; previous: LockOwner }
  | { type: 'lock-acquired' }
  /** Old automatic backups of this database were deleted after the command succeeded. */
  | { type: 'backups-pruned'; files: string[] }
  | { type: 'backup-start'; file: string }
  | { type: 'backup-progress'; file: string; progress: CopyProgress }
  | { type: 'backup-done'; file: string }
  | {
      type: 'migration-start';
      id: string;
      name: string;
      direction: 'up' | 'down';
      index: number;
      total: number;
    }
  | { type: 'migration-done'; id: string; name: string; direction: 'up' | 'down'; ms: number }
  | { type: 'retry'; id: string; attempt: number; delayMs: number; reason: string }
  /** Something the user should know that did not stop the migration. */
  | { type: 'warning'; id: string; message: string }
  /** A SQLite table rebuild copied `copied` of `total` rows. */
  | { type: 'rebuild-progress'; table: string; copied: number; total: number }
  /** The doctor replays migration `index` of `total` into a scratch database. */
  | { type: 'replay'; id: string; index: number; total: number }
  /** The doctor found the expected schemas of all `total` revisions in its cache. */
  | { type: 'replay-cached'; total: number };

/** A listener for engine events. */
export type EventListener = (event: MigrationEvent) => void;

/**
 * Runs one migration between its `migration-start` and `migration-done` events; `run`
 * returns the milliseconds it took.
 */
export async function announced(
  onEvent: EventListener | undefined,
  migration: { id: string; name: string },
  direction: 'up' | 'down',
  position: { index: number; total: number },
  run: () => Promise<number>,
): Promise<number> {
  const { id, name } = migration;
  onEvent?.({ type: 'migration-start', id, name, direction, ...position });
  const ms = await run();
  onEvent?.({ type: 'migration-done', id, name, direction, ms });
  return ms;
}
