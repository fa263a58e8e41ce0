import type { Connection, Dialect } from '../dialect.js';
import { mysqlCompiler } from './compile.js';
import { isMysqlHandle, type MysqlConnection, type MysqlHandle, openMysql, wrapMysql } from './driver.js';
import { mysqlHealthChecks } from './health.js';
import { mysqlEngineSql } from './history.js';
import { introspectMysql } from './introspect.js';
import { MysqlLock } from './lock.js';
import { MYSQL_EXPRESSIONS, quoteIdent, quoteLiteral } from './quote.js';
import { mysqlSchemaSql } from './schema-sql.js';
import { createMysqlScratch } from './scratch.js';
import { mysqlSessions } from './sessions.js';
import { mysqlClientStatement, splitMysqlStatements } from './split.js';
import { mysqlSqlLinter } from './sql-lint.js';
import { MYSQL_URL_EXAMPLES, type MysqlTarget, parseMysqlUrl } from './url.js';

declare module '../dialect.js' {
  interface DriverHandles {
    /** A mysql2/promise Connection, or Pool (one connection is checked out and released). */
    mysql: MysqlHandle;
  }
}

/** The MySQL / MariaDB dialect: role objects over mysql2 (an optional dependency). */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  label: 'MySQL',
  notCompared: [
    'a UNIQUE key named after its first column (as MySQL names one made without a name) is a constraint, so its name is not compared either',
    'DEFINER of views, triggers, routines and events',
    'COMMENT clauses of tables, columns, indexes and routines',
    'ROW_FORMAT, KEY_BLOCK_SIZE, STATS_PERSISTENT and other storage options of tables and indexes',
    "an index's USING BTREE or USING HASH where the engine builds the same kind either way (InnoDB builds every index as a B-tree but MariaDB's hash-based UNIQUE, whose kind is compared)",
    'SQL SECURITY of views',
    'the AUTO_INCREMENT counter (the next value is data)',
    "an event's STARTS, ENDS and AT times (evaluated as the event is created, so a replay cannot reproduce them)",
  ],
  capabilities: {
    // DDL commits implicitly: every migration is recorded as started, then finished.
    transactionalDdl: false,
    onlineBackup: false,
    enumStyle: 'inline',
    // ALTER TABLE … MODIFY changes a type in place, copying the table under a lock for most changes.
    alterColumnInPlace: true,
    // InnoDB builds most indexes online by itself (ALGORITHM=INPLACE, LOCK=NONE): nothing to ask for.
    concurrentIndexes: false,
    createsDatabase: false,
    // MySQL and MariaDB fill existing rows with the type's implicit default, in every sql_mode
    // (checked on MariaDB 10.11); NO_ZERO_DATE (TRADITIONAL) refuses it for DATE and DATETIME only.
    addNotNullFillsImplicitDefault: true,
  },
  urlSchemes: ['mysql', 'mariadb'],
  urlExamples: MYSQL_URL_EXAMPLES,
  parseUrl: (url) => parseMysqlUrl(url),
  open: (target) => openMysql(mysqlDialect, target as MysqlTarget),
  accepts: isMysqlHandle,
  handleDescription: 'a mysql2/promise Connection or Pool',
  wrap: (handle) => wrapMysql(mysqlDialect, handle as MysqlHandle),
  quoteIdent,
  quoteLiteral,
  expressionSyntax: MYSQL_EXPRESSIONS,
  engine: mysqlEngineSql,
  splitStatements: splitMysqlStatements,
  createLock: (conn: Connection, historyTable: string) =>
    new MysqlLock(conn as MysqlConnection, historyTable),
  introspect: (conn, options) => introspectMysql(conn as MysqlConnection, options),
  createScratch: (conn, options) => createMysqlScratch(conn as MysqlConnection, mysqlDialect, options),
  async serverVersion(conn) {
    const rows = await conn.query<{ v: string }>('SELECT VERSION() AS v');
    return `mysql ${rows[0].v}`;
  },
  compiler: mysqlCompiler,
  healthChecks: mysqlHealthChecks,
  schemaSql: mysqlSchemaSql,
  sessions: mysqlSessions,
  sqlLinter: mysqlSqlLinter,
  clientScript: { statement: mysqlClientStatement },
  // Nothing to guard: no migration runs inside a transaction here (transactionalDdl is false).
  guardMigration: async () => null,
};
