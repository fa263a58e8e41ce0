import type { Connection, Dialect } from '../dialect.js';
import { mysqlEngineSql, quoteIdent, quoteLiteral } from './ddl.js';
import type { MysqlConnection } from './driver.js';
import { mysqlHealth } from './health.js';
import { introspectMysql } from './introspect.js';
import { MysqlLock } from './lock.js';
import { createMysqlScratch } from './scratch.js';
import { splitMysqlStatements } from './split.js';

/** The MySQL / MariaDB dialect: role objects over mysql2. */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  capabilities: {
    // DDL commits implicitly: every migration is recorded as started, then finished.
    transactionalDdl: false,
    onlineBackup: false,
    statementLockTimeout: true,
    enumTypes: false,
    alterColumnInPlace: true,
  },
  quoteIdent,
  quoteLiteral,
  engine: mysqlEngineSql,
  splitStatements: splitMysqlStatements,
  createLock: (conn: Connection, historyTable: string) =>
    new MysqlLock(conn as MysqlConnection, historyTable),
  introspect: (conn, options) => introspectMysql(conn as MysqlConnection, options),
  createScratch: (conn, options) => createMysqlScratch(conn as MysqlConnection, mysqlDialect, options),
  async serverVersion(conn) {
    const rows = await conn.query<{ v: string }>('SELECT VERSION() AS v');
    return `mysql ${rows[0]!.v}`;
  },
  health: mysqlHealth,
  // Nothing to guard: no migration runs inside a transaction here (transactionalDdl is false).
  guardMigration: async () => null,
};
