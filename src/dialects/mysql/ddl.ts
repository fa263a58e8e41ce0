import type { EngineSql } from '../dialect.js';
import { ER, errnoOf } from './driver.js';
import { captureMysqlSession, mysqlHistorySchema } from './session.js';

/** Backtick-quotes an identifier, doubling embedded backticks. */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * Quotes a string literal so that it means the same whatever the session's sql_mode: quotes
 * doubled and backslashes doubled would break under NO_BACKSLASH_ESCAPES, so a value holding a
 * backslash is written as a hex literal of its UTF-8 bytes converted to utf8mb4 instead.
 */
export function quoteLiteral(value: string): string {
  if (!value.includes('\\') && !value.includes('\0')) return `'${value.replace(/'/g, "''")}'`;
  return `CONVERT(X'${Buffer.from(value, 'utf8').toString('hex')}' USING utf8mb4)`;
}

/** SQL the engine needs on MySQL and MariaDB. */
export const mysqlEngineSql: EngineSql = {
  // VARCHAR keys (TEXT cannot be a primary key without a prefix); applied_at holds the ISO time
  // as text, as on SQLite: DATETIME would refuse the "Z" in strict mode and lose the zone.
  createHistory: (qualifiedName) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName} (
  id VARCHAR(191) NOT NULL PRIMARY KEY,
  name VARCHAR(1024) NOT NULL,
  checksum VARCHAR(128) NOT NULL,
  status VARCHAR(16) NOT NULL,
  applied_at VARCHAR(32) NOT NULL,
  execution_ms INT NOT NULL DEFAULT 0,
  seq INT NOT NULL,
  statements_done INT NOT NULL DEFAULT 0,
  statements_total INT NOT NULL DEFAULT 0,
  error TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
  historySchema: mysqlHistorySchema,
  captureSession: captureMysqlSession,
  param: () => '?',
  nowParamCast: '',
  // lock_wait_timeout bounds metadata locks (DDL waiting for a table), innodb_lock_wait_timeout
  // row locks; both are whole seconds and have no transaction-local form.
  lockTimeout: (ms) => {
    const s = Math.max(1, Math.ceil(ms / 1000));
    return `SET SESSION lock_wait_timeout = ${s}, innodb_lock_wait_timeout = ${s}`;
  },
  resetLockTimeout: 'SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT',
  isMissingTable: (e) => errnoOf(e) === ER.noSuchTable,
  isLockTimeout: (e) => errnoOf(e) === ER.lockWaitTimeout,
};
