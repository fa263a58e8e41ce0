import fs from 'node:fs';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { BackupSupport, Connection, CopyProgress } from '../dialect.js';
import { openSqliteDatabase, type SqliteConnection, type SqliteDatabase } from './driver.js';
import { quoteIdent } from './quote.js';

/** Pages copied per step; small enough to report progress on large files. */
const PAGES_PER_STEP = 2048;

function badBackup(source: string, why: string, hint: string): DbDoctorError {
  return new DbDoctorError('BAD_BACKUP', `Backup ${source} ${why}`, {
    unchanged: 'The live database was not touched, and no backup was taken or deleted.',
    hint,
  });
}

const PICK_ANOTHER = 'Pass a file made by `dbdoctor backup` (see the backups folder beside the database).';

/** What kind of non-regular file `st` is, for the message. */
function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Opens a backup for reading after checking, without opening it, that it is a regular file:
 * open(2) on a FIFO blocks until a writer appears, so that check must come first.
 */
function openVerified(source: string): SqliteDatabase {
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw badBackup(
      source,
      missing ? 'does not exist.' : `cannot be read: ${errorMessage(e)}`,
      missing ? 'List the backups folder beside the database and pass one of its files.' : PICK_ANOTHER,
    );
  }
  if (!st.isFile()) throw badBackup(source, `is ${fileKind(st)}, not a database file.`, PICK_ANOTHER);
  let src: SqliteDatabase;
  try {
    src = openSqliteDatabase(source, { readonly: true, mustExist: true });
  } catch (e) {
    throw badBackup(source, `cannot be opened: ${errorMessage(e)}`, PICK_ANOTHER);
  }
  let check: string;
  try {
    check = String(src.pragma('quick_check', { simple: true }));
  } catch (e) {
    check = errorMessage(e);
  }
  if (check !== 'ok') {
    src.close();
    throw badBackup(source, `is not a healthy SQLite database: ${check}`, 'Choose another backup file.');
  }
  return src;
}

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

  async verify(source: string) {
    openVerified(source).close();
  },

  async restore(conn: Connection, source: string, onProgress?: (p: CopyProgress) => void) {
    const target = (conn as SqliteConnection).db;
    const src = openVerified(source);
    try {
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

  async isBlank(conn: Connection, ignore: readonly string[]) {
    // tbl_name: a table's indexes (its primary key's autoindex too) belong to it.
    const objects = await conn.query<{ t: string }>('SELECT tbl_name AS t FROM sqlite_master');
    return objects.every((o) => ignore.includes(o.t));
  },
};
