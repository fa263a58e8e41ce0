import type { EngineSql } from '../dialect.js';
import { withoutPasswords } from './cluster-statements.js';
import { capturePostgresSession, postgresHistorySchema, postgresUnqualifiedTarget } from './session.js';

function sqlState(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** SQL the engine needs on PostgreSQL. */
export const postgresEngineSql: EngineSql = {
  createHistory: (qualifiedName) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName} (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  status TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL,
  execution_ms INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL,
  statements_done INTEGER NOT NULL DEFAULT 0,
  statements_total INTEGER NOT NULL DEFAULT 0,
  error TEXT
)`,
  ],
  historySchema: postgresHistorySchema,
  unqualifiedTarget: postgresUnqualifiedTarget,
  captureSession: capturePostgresSession,
  upsert: (key, columns) =>
    `ON CONFLICT (${key}) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  param: (n) => `$${n}`,
  nowParamCast: '::timestamptz',
  lockTimeout: (ms, scope) =>
    `SET ${scope === 'transaction' ? 'LOCAL ' : ''}lock_timeout = ${Math.max(1, Math.round(ms))}`,
  resetLockTimeout: 'RESET lock_timeout',
  // 42P01 undefined_table
  isMissingTable: (e) => sqlState(e) === '42P01',
  // 55P03 lock_not_available (lock_timeout expired)
  isLockTimeout: (e) => sqlState(e) === '55P03',
  maskSecrets: withoutPasswords,
};
