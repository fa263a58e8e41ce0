import type { Connection, Dialect } from '../dialect.js';
import { postgresEngineSql, quoteIdent, quoteLiteral } from './ddl.js';
import type { PostgresConnection } from './driver.js';
import { PostgresLock } from './lock.js';

/** The PostgreSQL dialect: role objects over pg. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  capabilities: {
    transactionalDdl: true,
    onlineBackup: false,
    statementLockTimeout: true,
    enumTypes: true,
    alterColumnInPlace: true,
  },
  quoteIdent,
  quoteLiteral,
  engine: postgresEngineSql,
  createLock: (conn: Connection, historyTable: string) =>
    new PostgresLock(conn as PostgresConnection, historyTable),
};
