import type { Connection } from '../dialects/dialect.js';
import { History } from '../migrations/history.js';
import { SESSION_TABLES, SESSIONS_HISTORY_TABLE } from '../sessions/names.js';

/**
 * History (and lock) tables other migration tools keep in the application's database: a
 * project that moved to dbdoctor, or runs a second tool beside it, still has them, and they
 * are the tool's, not the schema's. From each tool's documentation: dbmate, Rails, golang-
 * migrate (schema_migrations); Prisma; Drizzle; Knex; Alembic; Flyway (current and before 5);
 * goose; sqlx; Diesel; Django; node-pg-migrate; Sequelize; MikroORM; Kysely; Atlas; ActiveRecord.
 */
export const OTHER_TOOLS_TABLES: readonly string[] = [
  'schema_migrations',
  '_prisma_migrations',
  '__drizzle_migrations',
  'knex_migrations',
  'knex_migrations_lock',
  'alembic_version',
  'flyway_schema_history',
  'schema_version',
  'goose_db_version',
  '_sqlx_migrations',
  '__diesel_schema_migrations',
  'django_migrations',
  'pgmigrations',
  'SequelizeMeta',
  'mikro_orm_migrations',
  'kysely_migration',
  'kysely_migration_lock',
  'atlas_schema_revisions',
  'ar_internal_metadata',
];

/**
 * Tables the doctor leaves out of both the live and the expected schema: the project's own
 * history and lock, other tools' history tables, dbdoctor's session tables when they live in
 * their own history namespace (`sessions install`), and the user's `ignore` list (names or
 * globs). Extension members are left out by each dialect's introspection.
 */
export async function notTheUsers(
  conn: Connection,
  historyTable: string,
  historySchema: string,
  ignore: readonly string[],
): Promise<string[]> {
  const names = [historyTable, `${historyTable}_lock`, ...OTHER_TOOLS_TABLES, ...ignore];
  if (historyTable !== SESSIONS_HISTORY_TABLE) {
    names.push(SESSIONS_HISTORY_TABLE, `${SESSIONS_HISTORY_TABLE}_lock`);
    // Installed in their own namespace, the session tables are dbdoctor's; copied into the
    // project's migrations (no such history), they are the project's and compared as usual.
    const sessions = await new History(conn, SESSIONS_HISTORY_TABLE, historySchema).read().catch(() => null);
    if (sessions !== null) names.push(...SESSION_TABLES);
  }
  return names;
}
