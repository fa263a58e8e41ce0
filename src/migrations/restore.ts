import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import { pruneBackups, takeBackup } from './backup.js';
import { type EngineOptions, historyTableName, openLocked, withLock } from './engine.js';

function requireBackupSupport(dialectSupports: boolean, display: string): void {
  if (!dialectSupports) {
    throw new DbDoctorError('UNSUPPORTED', `backup and restore work on SQLite files, not on ${display}.`, {
      unchanged: 'Nothing was changed.',
      hint: 'For PostgreSQL use pg_dump and pg_restore.',
    });
  }
}

type Options = Pick<
  EngineOptions,
  'database' | 'cwd' | 'historyTable' | 'onEvent' | 'backup' | 'lockTimeoutMs' | 'lockLeaseMs'
>;

/** Takes an online backup of a SQLite database into `file` (default: the backups folder). */
export async function backup(options: Options & { file?: string }): Promise<{ file: string }> {
  const table = historyTableName(options.historyTable);
  const { conn } = await openLocked(options, table, true);
  try {
    requireBackupSupport(conn.dialect.capabilities.onlineBackup, conn.display);
    const destination = options.file ? path.resolve(options.cwd ?? process.cwd(), options.file) : undefined;
    const { file } = await takeBackup(conn, {
      destination,
      reason: 'manual',
      policy: options.backup,
      lockTable: `${table}_lock`,
      onEvent: options.onEvent,
    });
    return { file };
  } catch (e) {
    throw e instanceof DbDoctorError ? e : (conn.describeError(e) ?? e);
  } finally {
    await conn.close();
  }
}

/**
 * Puts a backup back over the live SQLite database, holding the migration lock (so never
 * while a runner migrates). The source is checked first; only a good one leads to the
 * current database being backed up (as `before-restore`) and, once restored, to old
 * automatic backups being pruned.
 */
export async function restore(
  options: Options & { file: string },
): Promise<{ database: string; restored: string; safetyBackup: string }> {
  const source = path.resolve(options.cwd ?? process.cwd(), options.file);
  const table = historyTableName(options.historyTable);
  const { conn, lock } = await openLocked(options, table, true);
  try {
    const support = conn.dialect.backup;
    requireBackupSupport(
      conn.dialect.capabilities.onlineBackup && conn.file !== null && support !== undefined,
      conn.display,
    );
    await support!.verify(source);
    return await withLock(lock, options, async () => {
      const safety = await takeBackup(conn, {
        reason: 'before-restore',
        policy: options.backup,
        lockTable: `${table}_lock`,
        onEvent: options.onEvent,
      });
      await support!.restore(conn, source, (progress) =>
        options.onEvent?.({ type: 'backup-progress', file: source, progress }),
      );
      pruneBackups(conn, safety.file, options.backup, options.onEvent);
      return { database: conn.display, restored: source, safetyBackup: safety.file };
    });
  } catch (e) {
    // A raw driver error here (the lock table cannot be created in a read-only file) is about
    // the database, not a bug: say so as the other writing commands do.
    throw e instanceof DbDoctorError ? e : (conn.describeError(e) ?? e);
  } finally {
    await conn.close();
  }
}
