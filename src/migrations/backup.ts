import fs from 'node:fs';
import path from 'node:path';
import type { Connection } from '../dialects/dialect.js';
import { DbDoctorError } from '../errors.js';
import type { EventListener } from './events.js';

/** Backup policy for `apply` and `down`. */
export interface BackupPolicy {
  /** Take a backup before changing the database (SQLite files only). Default true. */
  enabled?: boolean;
  /** How many automatic backups to keep; older ones are deleted. Default 5. */
  keep?: number;
  /** Folder for backups; default `backups/` beside the database file. */
  dir?: string;
}

/** Default number of automatic backups kept. */
export const DEFAULT_BACKUPS_KEPT = 5;

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '');
}

/** The folder backups go to for a database file. */
export function backupDir(dbFile: string, policy: BackupPolicy = {}): string {
  return policy.dir ? path.resolve(policy.dir) : path.join(path.dirname(dbFile), 'backups');
}

/**
 * Takes an online backup of `conn` into `destination` (or a timestamped file in the backups
 * folder) and, for automatic backups, deletes all but the newest `keep`. Returns the file.
 */
export async function takeBackup(
  conn: Connection,
  opts: {
    destination?: string;
    reason: string;
    policy?: BackupPolicy;
    lockTable: string;
    onEvent?: EventListener;
  },
): Promise<{ file: string; pruned: string[] }> {
  const support = conn.dialect.backup;
  if (!conn.dialect.capabilities.onlineBackup || !support || !conn.file) {
    throw new DbDoctorError(
      'UNSUPPORTED',
      `Online backup works on SQLite database files, not on ${conn.display}.`,
      {
        unchanged: 'Nothing was changed.',
        hint:
          conn.file === null && conn.dialect.capabilities.onlineBackup
            ? 'An in-memory database has no file to back up.'
            : 'For PostgreSQL use pg_dump; its DDL is transactional, so a failed migration rolls back by itself.',
      },
    );
  }
  const base = path.basename(conn.file).replace(/\.(sqlite3?|db)$/i, '');
  const dir = backupDir(conn.file, opts.policy);
  const file = opts.destination
    ? path.resolve(opts.destination)
    : path.join(dir, `${base}.${stamp(new Date())}.${process.pid}.${opts.reason}.sqlite`);
  if (fs.existsSync(file)) {
    throw new DbDoctorError('BACKUP_EXISTS', `Backup file ${file} already exists.`, {
      unchanged: 'Nothing was written.',
      hint: 'Choose another file name, or delete the old one first.',
    });
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  opts.onEvent?.({ type: 'backup-start', file });
  const partial = `${file}.partial`;
  try {
    await support.backup(conn, partial, opts.lockTable, (progress) =>
      opts.onEvent?.({ type: 'backup-progress', file, progress }),
    );
    fs.renameSync(partial, file);
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw e;
  }
  const pruned = opts.destination ? [] : prune(dir, base, opts.policy?.keep ?? DEFAULT_BACKUPS_KEPT);
  opts.onEvent?.({ type: 'backup-done', file, pruned });
  return { file, pruned };
}

/**
 * The automatic backup `apply` and `down` take before changing a SQLite file; null where the
 * policy turns it off or the database has no file to copy (PostgreSQL, in-memory SQLite).
 */
export async function backupBeforeChange(
  conn: Connection,
  reason: 'before-apply' | 'before-down',
  historyTable: string,
  policy: BackupPolicy | undefined,
  onEvent: EventListener | undefined,
): Promise<string | null> {
  if (!conn.file || policy?.enabled === false || !conn.dialect.capabilities.onlineBackup) return null;
  return (await takeBackup(conn, { reason, policy, lockTable: `${historyTable}_lock`, onEvent })).file;
}

/** Deletes all but the newest `keep` automatic backups of `base` in `dir`. */
function prune(dir: string, base: string, keep: number): string[] {
  const mine = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`) && /\.(before-apply|before-down|before-restore)\.sqlite$/.test(f))
    .sort();
  const remove = mine.slice(0, Math.max(0, mine.length - keep));
  for (const f of remove) fs.rmSync(path.join(dir, f), { force: true });
  return remove.map((f) => path.join(dir, f));
}
