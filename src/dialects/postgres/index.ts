import type pg from 'pg';
import type { Connection, Dialect } from '../dialect.js';
import { terminated } from '../statements.js';
import { postgresCompiler } from './compile.js';
import { isPgHandle, openPostgres, type PostgresConnection, wrapPostgres } from './driver.js';
import { postgresHealthChecks } from './health.js';
import { postgresEngineSql } from './history.js';
import { introspectPostgres } from './introspect.js';
import { PostgresLock } from './lock.js';
import { postgresPhased } from './phased.js';
import { POSTGRES_EXPRESSIONS, quoteIdent, quoteLiteral } from './quote.js';
import { postgresSchemaSql } from './schema-sql.js';
import { createPostgresScratch } from './scratch.js';
import { postgresSessions } from './sessions.js';
import { splitPostgresStatements } from './split.js';
import { postgresSqlLinter } from './sql-lint.js';
import { POSTGRES_URL_EXAMPLES, type PostgresTarget, parsePostgresUrl } from './url.js';

declare module '../dialect.js' {
  interface DriverHandles {
    /** A pg Pool (one client is checked out and released) or Client. */
    postgres: pg.Pool | pg.Client;
  }
}

/** The PostgreSQL dialect: role objects over pg. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  label: 'PostgreSQL',
  notCompared: [
    'security labels',
    'column statistics targets, storage and compression',
    "identity columns' sequence options",
    'storage parameters (WITH (fillfactor = ...), autovacuum settings) of tables, indexes and views',
    'REPLICA IDENTITY and CLUSTER ON',
    'table access methods',
    'view options WITH CHECK OPTION, security_barrier and security_invoker',
    'operator class options of index keys',
    "extension versions (the extension's name is compared; its members are not), and extensions no migration creates (installed by the server's administrator, like pg_stat_statements)",
    'extended statistics (CREATE STATISTICS), collations, operators, operator classes and families, casts, conversions, text search configurations',
    'foreign data wrappers, servers, user mappings and foreign tables',
    'publications, subscriptions and event triggers',
  ],
  capabilities: {
    transactionalDdl: true,
    onlineBackup: false,
    enumStyle: 'type',
    alterColumnInPlace: true,
    concurrentIndexes: true,
    createsDatabase: false,
    // PostgreSQL refuses: the existing rows would be NULL.
    addNotNullFillsImplicitDefault: false,
  },
  urlSchemes: ['postgres', 'postgresql'],
  urlExamples: POSTGRES_URL_EXAMPLES,
  parseUrl: (url) => parsePostgresUrl(url),
  open: (target) => openPostgres(postgresDialect, target as PostgresTarget),
  accepts: isPgHandle,
  handleDescription: 'a pg Pool or a pg Client',
  wrap: (handle) => wrapPostgres(postgresDialect, handle as pg.Pool | pg.Client),
  quoteIdent,
  quoteLiteral,
  expressionSyntax: POSTGRES_EXPRESSIONS,
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
  compiler: postgresCompiler,
  schemaSql: postgresSchemaSql,
  sessions: postgresSessions,
  healthChecks: postgresHealthChecks,
  // PostgreSQL enforces foreign keys inside transactions and never drops rows with a table
  // unless told to (DROP … CASCADE drops constraints, not rows): nothing to guard.
  guardMigration: async () => null,
  phased: postgresPhased,
  sqlLinter: postgresSqlLinter,
  // psql reads dollar-quoted bodies whole: every statement just ends with a semicolon.
  clientScript: { statement: (sql) => terminated(sql, ';') },
};
