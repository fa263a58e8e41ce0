import type { Dialect, ScratchDatabase } from '../dialect.js';
import { openSqliteDatabase, SqliteConnection } from './driver.js';

/**
 * A scratch SQLite database lives in memory: nothing can reach beyond it, so nothing is
 * skipped, and no killed doctor can leave one behind.
 */
export async function createSqliteScratch(dialect: Dialect): Promise<ScratchDatabase> {
  const conn = new SqliteConnection(openSqliteDatabase(':memory:'), dialect, true);
  return { conn, dispose: () => conn.close(), skipped: [], removedLeftovers: [] };
}
