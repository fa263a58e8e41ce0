import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from '../dialects/dialect.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { processAlive } from '../host.js';
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

/** Why a backup was taken; all but `manual` are automatic and pruned. */
export type BackupReason = 'before-apply' | 'before-down' | 'before-restore' | 'manual';

const AUTOMATIC: ReadonlySet<string> = new Set(['before-apply', 'before-down', 'before-restore']);

/**
 * A backup's file name: `<database file name>.<database id>.<reason>.<UTC time>-<pid>.sqlite`,
 * e.g. `app.db.3f2a9c1b.before-apply.20250101T120000123Z-4242.sqlite`. The database id is the
 * first 8 hex digits of the SHA-256 of the database's absolute path, so two databases with the
 * same file name sharing one backups folder never claim each other's backups.
 */
const BACKUP_NAME =
  /^(?<db>.+)\.(?<id>[0-9a-f]{8})\.(?<reason>[a-z-]+)\.(?<stamp>\d{8}T\d{9}Z)-(?<pid>\d+)\.sqlite$/;

/** A backup file name taken apart, or null when it is not one of ours. */
export function parseBackupName(
  name: string,
): { db: string; id: string; reason: string; stamp: string; pid: number } | null {
  const g = BACKUP_NAME.exec(name)?.groups;
  return g ? { db: g.db!, id: g.id!, reason: g.reason!, stamp: g.stamp!, pid: Number(g.pid) } : null;
}

/** The identity a database file's backups carry in their names. */
function databaseIdentity(dbFile: string): { db: string; id: string } {
  const absolute = path.resolve(dbFile);
  return {
    db: path.basename(absolute),
    id: createHash('sha256').update(absolute).digest('hex').slice(0, 8),
  };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/** The folder backups go to for a database file. */
export function backupDir(dbFile: string, policy: BackupPolicy = {}): string {
  return policy.dir ? path.resolve(policy.dir) : path.join(path.dirname(dbFile), 'backups');
}

/** The file an automatic or manual backup of `dbFile` is written to now. */
export function backupFileName(dbFile: string, reason: BackupReason, policy?: BackupPolicy): string {
  const { db, id } = databaseIdentity(dbFile);
  return path.join(
    backupDir(dbFile, policy),
    `${db}.${id}.${reason}.${stamp(new Date())}-${process.pid}.sqlite`,
  );
}

/**
 * Takes an online backup of `conn` into `destination` (or a named file in the backups folder)
 * and returns the file. Never deletes anything but its own partial file: pruning is a separate
 * step, done only after the whole command succeeded ({@link pruneBackups}). Any failure
 * (disk full, folder not writable) is `BACKUP_FAILED`, with the live database unchanged.
 */
export async function takeBackup(
  conn: Connection,
  opts: {
    destination?: string;
    reason: BackupReason;
    policy?: BackupPolicy;
    lockTable: string;
    onEvent?: EventListener;
  },
): Promise<{ file: string }> {
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
  const file = opts.destination
    ? path.resolve(opts.destination)
    : backupFileName(conn.file, opts.reason, opts.policy);
  if (fs.existsSync(file)) {
    throw new DbDoctorError('BACKUP_EXISTS', `Backup file ${file} already exists.`, {
      unchanged: 'Nothing was written.',
      hint: 'Choose another file name, or delete the old one first.',
    });
  }
  opts.onEvent?.({ type: 'backup-start', file });
  const partial = partialBackupName(file);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    removeStalePartials(path.dirname(file), conn.file);
    await support.backup(conn, partial, opts.lockTable, (progress) =>
      opts.onEvent?.({ type: 'backup-progress', file, progress }),
    );
    fs.renameSync(partial, file);
  } catch (e) {
    removePartial(partial);
    if (e instanceof DbDoctorError) throw e;
    throw new DbDoctorError('BACKUP_FAILED', `Could not write the backup ${file}: ${errorMessage(e)}`, {
      unchanged: 'The database was not changed; the partial backup file was removed.',
      hint: 'Free space on (or fix permissions of) that folder, choose another with the `backups.dir` config setting, or run with --no-backup if you have your own copy.',
      details: { file },
      cause: e,
    });
  }
  opts.onEvent?.({ type: 'backup-done', file });
  return { file };
}

/**
 * Tags a partial backup with the host and PID namespace of its writer, so that a later run
 * can tell, by the pid in the name, that the writer is gone: a pid can only be judged where
 * host name and PID namespace are both the same (a backups folder may be shared).
 */
const WRITER_TAG = createHash('sha256')
  .update(`${os.hostname()}\0${readPidNamespace() ?? ''}`)
  .digest('hex')
  .slice(0, 8);

/** The file a backup is written to until it is complete and renamed to `file`. */
export function partialBackupName(file: string, pid = process.pid): string {
  return `${file.replace(/-\d+\.sqlite$/, `-${pid}.sqlite`)}.${WRITER_TAG}.partial`;
}

function readPidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

/**
 * Deletes the partial backups (and their `-journal`) of `dbFile` in `dir` left by a writer of
 * this host and PID namespace that is no longer running (killed mid-backup): nothing else
 * ever finishes or removes them. A partial of a live writer, or of another host, is left.
 */
export function removeStalePartials(dir: string, dbFile: string): string[] {
  const { db, id } = databaseIdentity(dbFile);
  const suffix = `.${WRITER_TAG}.partial`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const base = name.endsWith(`${suffix}-journal`) ? name.slice(0, -'-journal'.length) : name;
    if (!base.endsWith(suffix)) continue;
    const parsed = parseBackupName(base.slice(0, -suffix.length));
    if (!parsed || parsed.db !== db || parsed.id !== id || processAlive(parsed.pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(path.join(dir, name));
    } catch {
      // Another run removed it first, or it cannot be removed: the backup itself is unaffected.
    }
  }
  return removed;
}

/**
 * Removes a backup's partial file and its journal. Best effort: when the folder itself is the
 * problem (a file in its place, no permission) the partial was never created, and the caller's
 * BACKUP_FAILED must not be hidden by a second, less telling error from the cleanup.
 */
function removePartial(partial: string): void {
  for (const f of [partial, `${partial}-journal`]) {
    try {
      fs.rmSync(f, { force: true });
    } catch {
      // See above: the original error is the one worth reporting.
    }
  }
}

/**
 * The automatic backup `apply` and `down` take before changing a SQLite file; null where the
 * policy turns it off, the database has no file to copy (PostgreSQL, in-memory SQLite), or
 * the file holds nothing yet (a new database: nothing but dbdoctor's lock table).
 */
export async function backupBeforeChange(
  conn: Connection,
  reason: 'before-apply' | 'before-down',
  historyTable: string,
  policy: BackupPolicy | undefined,
  onEvent: EventListener | undefined,
): Promise<string | null> {
  const support = conn.dialect.backup;
  if (!conn.file || policy?.enabled === false || !conn.dialect.capabilities.onlineBackup || !support)
    return null;
  const lockTable = `${historyTable}_lock`;
  if (await support.isBlank(conn, [lockTable])) return null;
  return (await takeBackup(conn, { reason, policy, lockTable, onEvent })).file;
}

/**
 * Deletes all but the newest `keep` automatic backups of exactly this database (same file
 * name and same path identity, see the name format above), never `justTaken`. Called only
 * after a command succeeded, so a failed run never costs a backup. Returns the deleted files.
 */
export function pruneBackups(
  conn: Connection,
  justTaken: string | null,
  policy: BackupPolicy | undefined,
  onEvent: EventListener | undefined,
): string[] {
  if (!conn.file || !justTaken) return [];
  const dir = path.dirname(justTaken);
  removeStalePartials(dir, conn.file);
  const { db, id } = databaseIdentity(conn.file);
  const keep = policy?.keep ?? DEFAULT_BACKUPS_KEPT;
  const others = fs
    .readdirSync(dir)
    .map((name) => ({ name, parsed: parseBackupName(name) }))
    .filter(
      ({ name, parsed }) =>
        parsed !== null &&
        parsed.db === db &&
        parsed.id === id &&
        AUTOMATIC.has(parsed.reason) &&
        path.join(dir, name) !== justTaken,
    )
    .sort((a, b) => a.parsed!.stamp.localeCompare(b.parsed!.stamp) || a.parsed!.pid - b.parsed!.pid);
  // The one just taken counts as one of the kept.
  const remove = others.slice(0, Math.max(0, others.length - Math.max(0, keep - 1)));
  const removed: string[] = [];
  for (const { name } of remove) {
    const f = path.join(dir, name);
    try {
      fs.rmSync(f);
      removed.push(f);
    } catch {
      // Another runner pruned it first, or it is not ours to delete: leave it.
    }
  }
  if (removed.length > 0) onEvent?.({ type: 'backups-pruned', files: removed });
  return removed;
}
