/**
 * dbdoctor: schema migrations for SQLite, PostgreSQL and MySQL/MariaDB that know where your database
 * really is. Every CLI command is one of these functions first.
 */
export { type AdoptOptions, type AdoptResult, adopt } from './adopt/adopt.js';
export { ADOPT_TOOLS, type AdoptTool } from './adopt/tools.js';
export { CONFIG_SCHEMA, type ConfigFile, configJsonSchema, loadConfigFile } from './config/config-file.js';
export { parseDuration } from './config/duration.js';

import './dialects/builtin.js';

export { parseDatabaseUrl } from './config/url.js';
export type {
  Capabilities,
  Connection,
  DatabaseTarget,
  Dialect,
  DialectName,
  LockOwner,
} from './dialects/dialect.js';
export { type DatabaseInput, openConnection } from './dialects/open.js';
export { type DoctorFix, type DoctorOptions, type DoctorResult, doctor } from './doctor/doctor.js';
export type { Finding, Severity } from './doctor/findings.js';
export { renderSchemaSql } from './dump/index.js';
export { DbDoctorError, isDbDoctorError } from './errors.js';
export {
  detectFormat,
  FORMAT_NAMES,
  type FormatListing,
  type FormatName,
  formatNamed,
  listMigrations,
  type MigrationFormat,
  type Uncovered,
} from './formats/index.js';
export {
  type GenerateOptions,
  type GenerateResult,
  generateMigration,
  type Rename,
  type RenameCandidate,
} from './generate/generate.js';
export { type MigrateOptions, type MigrateResult, migrate } from './migrations/apply.js';
export type { BackupPolicy } from './migrations/backup.js';
export {
  defineMigration,
  type FunctionMigration,
  type MigrationContext,
  type MigrationDefinition,
  type OperationsMigration,
} from './migrations/define.js';
export type { EngineOptions } from './migrations/engine.js';
export type { MigrationEvent } from './migrations/events.js';
export { discoverMigrations, type MigrationFile, parseSqlMigration } from './migrations/files.js';
export type { HistoryRow } from './migrations/history.js';
export { type IntrospectOptions, introspect } from './migrations/introspect.js';
export { type LintOptions, lint, type MigrationLintFinding } from './migrations/lint.js';
export type { MigrationState, Problem } from './migrations/plan.js';
export { backup, restore } from './migrations/restore.js';
export { type RollbackOptions, type RollbackResult, rollback } from './migrations/rollback.js';
export { type MigrationSql, previewSql } from './migrations/sql-preview.js';
export { type ResolveAction, resolve, type StampResult, stamp } from './migrations/stamp.js';
export { history, type StatusResult, status } from './migrations/status.js';
export * from './ops/index.js';
export { type ChangeKind, type DiffLabels, diff, type SchemaChange, type SchemaDiff } from './schema/diff.js';
export { fingerprint } from './schema/fingerprint.js';
export type {
  CheckConstraint,
  Column,
  EnumType,
  ForeignKey,
  Index,
  IndexKey,
  ReferentialAction,
  Schema,
  Table,
  Trigger,
  UniqueConstraint,
  View,
} from './schema/model.js';
export { renderSchemaMermaid, renderSchemaText } from './schema/render.js';
export {
  defineSchema,
  type IndexDefinition,
  type SchemaDefinition,
  type TableDefinition,
} from './schema-file/definition.js';
export { type PullOptions, type PullResult, pull } from './schema-file/pull.js';
