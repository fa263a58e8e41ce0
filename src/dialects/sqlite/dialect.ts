import type { Connection, Dialect } from '../dialect.js';
import { sqliteBackup } from './backup.js';
import { quoteIdent, quoteLiteral, sqliteEngineSql } from './ddl.js';
import type { SqliteConnection } from './driver.js';
import { SqliteLock } from './lock.js';

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
  backup: sqliteBackup,
  createLock: (conn: Connection, historyTable: string) =>
    new SqliteLock(conn as SqliteConnection, historyTable),
};
