import type { EngineSql } from '../dialect.js';
import { explainSqliteFailure } from './explain.js';
import { captureSqliteSession } from './session.js';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** SQL the engine needs on SQLite. */
export const sqliteEngineSql: EngineSql = {
  createHistory: (qualifiedName) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName} (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  status TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  execution_ms INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL,
  statements_done INTEGER NOT NULL DEFAULT 0,
  statements_total INTEGER NOT NULL DEFAULT 0,
  error TEXT
)`,
  ],
  // Qualified with main: an unqualified name would find a TEMP table of the same name first.
  historySchema: async () => 'main',
  captureSession: captureSqliteSession,
  upsert: (key, columns) =>
    `ON CONFLICT (${key}) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  param: () => '?',
  nowParamCast: '',
  lockTimeout: () => null,
  resetLockTimeout: null,
  isMissingTable: (e) => /no such table/i.test(errorText(e)),
  isLockTimeout: (e) => (e as { code?: string })?.code === 'SQLITE_BUSY',
  explainFailure: explainSqliteFailure,
};
