import type { Connection, Dialect } from '../dialect.js';
import { postgresPhased } from './concurrent.js';
import { postgresEngineSql, quoteIdent, quoteLiteral } from './ddl.js';
import type { PostgresConnection } from './driver.js';
import { postgresHealth } from './health.js';
import { introspectPostgres } from './introspect.js';
import { splitPostgresStatements } from './lexer.js';
import { PostgresLock } from './lock.js';
import { createPostgresScratch } from './scratch.js';

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
  splitStatements: splitPostgresStatements,
  createLock: (conn: Connection, historyTable: string) =>
    new PostgresLock(conn as PostgresConnection, historyTable),
  introspect: (conn, options) => introspectPostgres(conn as PostgresConnection, options),
  createScratch: (conn, options) => createPostgresScratch(conn, postgresDialect, options),
  async serverVersion(conn) {
    const rows = await conn.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return `postgres ${rows[0].v}`;
  },
  health: postgresHealth,
  // PostgreSQL enforces foreign keys inside transactions and never drops rows with a table
  // unless told to (DROP … CASCADE drops constraints, not rows): nothing to guard.
  guardMigration: async () => null,
  phased: postgresPhased,
};
