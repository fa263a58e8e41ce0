import { DbDoctorError, errorMessage } from '../../errors.js';
import type { BackupSupport, Connection, CopyProgress } from '../dialect.js';
import { quoteIdent } from './ddl.js';
import { openSqliteDatabase, type SqliteConnection } from './driver.js';

/** Pages copied per step; small enough to report progress on large files. */
const PAGES_PER_STEP = 2048;

/** SQLite online backup through better-sqlite3's backup API. */
export const sqliteBackup: BackupSupport = {
  async backup(
    conn: Connection,
    destination: string,
    lockTable: string,
    onProgress?: (p: CopyProgress) => void,
  ) {
    const db = (conn as SqliteConnection).db;
    await db.backup(destination, {
      progress: (p) => {
        onProgress?.(p);
        return PAGES_PER_STEP;
      },
    });
    // The copy must not carry our own lock row back in when it is restored.
    const copy = openSqliteDatabase(destination);
    try {
      const exists = copy
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(lockTable);
      if (exists) copy.exec(`DELETE FROM ${quoteIdent(lockTable)}`);
    } finally {
      copy.close();
    }
  },

  async restore(conn: Connection, source: string, onProgress?: (p: CopyProgress) => void) {
    const target = (conn as SqliteConnection).db;
    let src: ReturnType<typeof openSqliteDatabase>;
    try {
      src = openSqliteDatabase(source, { readonly: true, mustExist: true });
    } catch (e) {
      throw new DbDoctorError('BAD_BACKUP', `Cannot open backup ${source}: ${errorMessage(e)}`, {
        unchanged: 'The live database was not touched.',
        hint: 'Pass a file made by `dbdoctor backup` (see the backups folder beside the database).',
      });
    }
    try {
      let check: string;
      try {
        check = String(src.pragma('quick_check', { simple: true }));
      } catch (e) {
        check = errorMessage(e);
      }
      if (check !== 'ok') {
        throw new DbDoctorError('BAD_BACKUP', `Backup ${source} is not a healthy SQLite database: ${check}`, {
          unchanged: 'The live database was not touched.',
          hint: 'Choose another backup file.',
        });
      }
      await src.backup(target.name, {
        progress: (p) => {
          onProgress?.(p);
          return PAGES_PER_STEP;
        },
      });
    } finally {
      src.close();
    }
  },
};
