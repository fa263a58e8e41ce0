import type { DialectName, Row } from '../dialects/dialect.js';

/** What a TS/JS migration's `up` and `down` receive. */
export interface MigrationContext {
  /** The dialect of the database being migrated. */
  readonly dialect: DialectName;
  /** Runs one SQL statement (parameters bound, never interpolated). */
  sql(text: string, params?: readonly unknown[]): Promise<void>;
  /** Runs one query and returns its rows. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A TS/JS migration. */
export interface MigrationDefinition {
  up(ctx: MigrationContext): Promise<void> | void;
  down?(ctx: MigrationContext): Promise<void> | void;
  /** Set false for statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY). */
  transaction?: boolean;
}

/**
 * Declares a TS/JS migration; use as the file's default export.
 *
 * @example
 * export default defineMigration({
 *   async up(db) { await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY)'); },
 *   async down(db) { await db.sql('DROP TABLE t'); },
 * });
 */
export function defineMigration(definition: MigrationDefinition): MigrationDefinition {
  return definition;
}
