import type { Connection, Dialect, LockOptions } from '../dialect.js';
import { sqliteBackup } from './backup.js';
import { quoteIdent, quoteLiteral, sqliteEngineSql } from './ddl.js';
import { openSqliteDatabase, SqliteConnection } from './driver.js';
import { sqliteHealth } from './health.js';
import { introspectSqlite } from './introspect.js';
import { SqliteLock } from './lock.js';
import { guardSqliteMigration } from './migration-guard.js';
import { splitSqliteStatements } from './split.js';

/** The SQLite dialect: role objects over better-sqlite3. */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  capabilities: {
    transactionalDdl: true,
    onlineBackup: true,
    statementLockTimeout: false,
    enumTypes: false,
    alterColumnInPlace: false,
  },
  quoteIdent,
  quoteLiteral,
  engine: sqliteEngineSql,
  splitStatements: splitSqliteStatements,
  backup: sqliteBackup,
  createLock: (conn: Connection, historyTable: string, options?: LockOptions) =>
    new SqliteLock(conn as SqliteConnection, historyTable, options),
  introspect: async (conn, options) => introspectSqlite(conn as SqliteConnection, options),
  async createScratch() {
    const conn = new SqliteConnection(openSqliteDatabase(':memory:'), sqliteDialect, true);
    return { conn, dispose: () => conn.close(), skipped: [], removedLeftovers: [] };
  },
  async serverVersion(conn) {
    const rows = await conn.query<{ v: string }>('SELECT sqlite_version() AS v');
    return `sqlite ${rows[0].v}`;
  },
  health: sqliteHealth,
  guardMigration: guardSqliteMigration,
};
