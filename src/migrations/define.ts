import type { DialectName, Row } from '../dialects/dialect.js';
import type { Operation } from '../ops/types.js';

/** What a TS/JS migration's `up` and `down` receive. */
export interface MigrationContext {
  /** The name of the database's dialect (sqlite, postgres, mysql; MariaDB is mysql). */
  readonly dialect: DialectName;
  /** Runs one SQL statement (parameters bound, never interpolated). */
  sql(text: string, params?: readonly unknown[]): Promise<void>;
  /** Runs one query and returns its rows. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A TS/JS migration written as functions. */
export interface FunctionMigration {
  up(ctx: MigrationContext): Promise<void> | void;
  down?(ctx: MigrationContext): Promise<void> | void;
  /** Set false for statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY). */
  transaction?: boolean;
}

/**
 * A TS/JS migration written once with the operation DSL, for every dialect. Its `down` is
 * derived from `ops` when every operation is reversible; otherwise give one (operations or a
 * function), or set `irreversible: true` to say that it has none on purpose.
 */
export interface OperationsMigration {
  ops: readonly Operation[];
  down?: readonly Operation[] | ((ctx: MigrationContext) => Promise<void> | void);
  irreversible?: boolean;
  /** Default: false when an operation needs it (CREATE INDEX CONCURRENTLY), else true. */
  transaction?: boolean;
}

/** A TS/JS migration. */
export type MigrationDefinition = FunctionMigration | OperationsMigration;

/**
 * Declares a TS/JS migration; use as the file's default export.
 *
 * @example
 * export default defineMigration({
 *   async up(db) { await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY)'); },
 *   async down(db) { await db.sql('DROP TABLE t'); },
 * });
 * @example
 * export default defineMigration({
 *   ops: [createTable('t', { columns: { id: { type: 'integer', primaryKey: true } } })],
 * });
 */
export function defineMigration<D extends MigrationDefinition>(definition: D): D {
  return definition;
}
