import fs from 'node:fs';
import path from 'node:path';
import { openConnection } from '../dialects/open.js';
import { DbDoctorError } from '../errors.js';
import { takeBackup } from './backup.js';
import { type EngineOptions, historyTableName, withLock } from './engine.js';

function requireBackupSupport(dialectSupports: boolean, display: string): void {
  if (!dialectSupports) {
    throw new DbDoctorError('UNSUPPORTED', `backup and restore work on SQLite files, not on ${display}.`, {
      unchanged: 'Nothing was changed.',
      hint: 'For PostgreSQL use pg_dump and pg_restore.',
    });
  }
}

/** Takes an online backup of a SQLite database into `file` (default: the backups folder). */
export async function backup(
  options: Pick<EngineOptions, 'database' | 'cwd' | 'historyTable' | 'onEvent' | 'backup'> & {
    file?: string;
  },
): Promise<{ file: string }> {
  const conn = await openConnection(options.database, { cwd: options.cwd, mustExist: true });
  try {
    requireBackupSupport(conn.dialect.capabilities.onlineBackup, conn.display);
    const table = historyTableName(options.historyTable);
    const destination = options.file ? path.resolve(options.cwd ?? process.cwd(), options.file) : undefined;
    const { file } = await takeBackup(conn, {
      destination,
      reason: 'manual',
      policy: options.backup,
      lockTable: `${table}_lock`,
      onEvent: options.onEvent,
    });
    return { file };
  } finally {
    await conn.close();
  }
}

/**
 * Puts a backup back over the live SQLite database, holding the migration lock (so never
 * while a runner migrates). The current database is backed up first, as `before-restore`.
 */
export async function restore(
  options: Pick<
    EngineOptions,
    'database' | 'cwd' | 'historyTable' | 'onEvent' | 'backup' | 'lockTimeoutMs'
  > & {
    file: string;
  },
): Promise<{ restored: string; safetyBackup: string }> {
  const source = path.resolve(options.cwd ?? process.cwd(), options.file);
  if (!fs.existsSync(source)) {
    throw new DbDoctorError('BAD_BACKUP', `Backup file ${source} does not exist.`, {
      unchanged: 'The live database was not touched.',
      hint: 'List the backups folder beside the database and pass one of its files.',
    });
  }
  const conn = await openConnection(options.database, { cwd: options.cwd, mustExist: true });
  try {
    requireBackupSupport(conn.dialect.capabilities.onlineBackup && conn.file !== null, conn.display);
    const table = historyTableName(options.historyTable);
    const lock = conn.dialect.createLock(conn, table);
    return await withLock(lock, options, async () => {
      const safety = await takeBackup(conn, {
        reason: 'before-restore',
        policy: options.backup,
        lockTable: `${table}_lock`,
        onEvent: options.onEvent,
      });
      await conn.dialect.backup!.restore(conn, source, (progress) =>
        options.onEvent?.({ type: 'backup-progress', file: source, progress }),
      );
      return { restored: source, safetyBackup: safety.file };
    });
  } finally {
    await conn.close();
  }
}
