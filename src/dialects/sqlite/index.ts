import type BetterSqlite3 from 'better-sqlite3';
import type { Connection, Dialect, LockOptions } from '../dialect.js';
import { terminated } from '../statements.js';
import { sqliteBackup } from './backup.js';
import { sqliteCompiler } from './compile.js';
import { isBetterSqlite, openSqlite, type SqliteConnection, wrapSqlite } from './driver.js';
import { guardSqliteMigration } from './guard.js';
import { sqliteHealthChecks } from './health.js';
import { sqliteEngineSql } from './history.js';
import { introspectSqlite } from './introspect.js';
import { SqliteLock } from './lock.js';
import { quoteIdent, quoteLiteral, SQLITE_EXPRESSIONS } from './quote.js';
import { sqliteSchemaSql } from './schema-sql.js';
import { createSqliteScratch } from './scratch.js';
import { sqliteSessions } from './sessions.js';
import { splitSqliteStatements } from './split.js';
import { sqliteSqlLinter } from './sql-lint.js';
import { parseSqliteUrl, SQLITE_URL_EXAMPLES, type SqliteTarget } from './url.js';

declare module '../dialect.js' {
  interface DriverHandles {
    /** An open better-sqlite3 Database. */
    sqlite: BetterSqlite3.Database;
  }
}

/** The SQLite dialect: role objects over better-sqlite3. */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  label: 'SQLite',
  notCompared: [
    'constraint names (its PRAGMAs do not report them)',
    'sqlite_sequence and sqlite_stat tables',
  ],
  capabilities: {
    transactionalDdl: true,
    onlineBackup: true,
    enumStyle: 'check',
    alterColumnInPlace: false,
    concurrentIndexes: false,
    createsDatabase: true,
    // SQLite refuses ("Cannot add a NOT NULL column with default value NULL").
    addNotNullFillsImplicitDefault: false,
  },
  urlSchemes: ['sqlite', 'sqlite3', 'file'],
  urlExamples: SQLITE_URL_EXAMPLES,
  parseUrl: parseSqliteUrl,
  open: async (target, options) => openSqlite(sqliteDialect, target as SqliteTarget, options),
  accepts: isBetterSqlite,
  handleDescription: 'a better-sqlite3 Database',
  wrap: async (handle, options) => wrapSqlite(sqliteDialect, handle as BetterSqlite3.Database, options),
  quoteIdent,
  quoteLiteral,
  expressionSyntax: SQLITE_EXPRESSIONS,
  engine: sqliteEngineSql,
  splitStatements: splitSqliteStatements,
  backup: sqliteBackup,
  createLock: (conn: Connection, historyTable: string, options?: LockOptions) =>
    new SqliteLock(conn as SqliteConnection, historyTable, options),
  introspect: async (conn, options) => introspectSqlite(conn as SqliteConnection, options),
  createScratch: () => createSqliteScratch(sqliteDialect),
  async serverVersion(conn) {
    const rows = await conn.query<{ v: string }>('SELECT sqlite_version() AS v');
    return `sqlite ${rows[0].v}`;
  },
  compiler: sqliteCompiler,
  schemaSql: sqliteSchemaSql,
  sessions: sqliteSessions,
  healthChecks: sqliteHealthChecks,
  guardMigration: guardSqliteMigration,
  sqlLinter: sqliteSqlLinter,
  // apply switches foreign key enforcement off outside the transaction (inside one, SQLite
  // ignores the pragma) so that DROP TABLE of a rebuilt parent cannot fire the children's ON
  // DELETE CASCADE, and checks the references before COMMIT (see guard.ts).
  clientScript: {
    statement: (sql) => terminated(sql, ';'),
    aroundTransaction: {
      before: ['PRAGMA foreign_keys = OFF'],
      beforeCommit: [
        '-- must list nothing: a row it lists references a parent that is gone; then run ROLLBACK instead of COMMIT\nPRAGMA foreign_key_check',
      ],
      after: ['PRAGMA foreign_keys = ON'],
    },
  },
};
