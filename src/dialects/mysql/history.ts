import type { EngineSql } from '../dialect.js';
import { ER, errnoOf } from './driver.js';
import { captureMysqlSession, mysqlHistorySchema } from './session.js';

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
  // VALUES(c) is the inserted value (MySQL 8.0.20+ deprecates it with a warning, MariaDB has no alias form).
  upsert: (_key, columns) =>
    `ON DUPLICATE KEY UPDATE ${columns.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
  param: () => '?',
  nowParamCast: '',
  literal: mysqlLiteral,
  // lock_wait_timeout bounds metadata locks (DDL waiting for a table), innodb_lock_wait_timeout
  // row locks; both are whole seconds and have no transaction-local form.
  lockTimeout: (ms) => {
    const s = Math.max(1, Math.ceil(ms / 1000));
    return `SET SESSION lock_wait_timeout = ${s}, innodb_lock_wait_timeout = ${s}`;
  },
  resetLockTimeout: 'SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT',
  isMissingTable: (e) => errnoOf(e) === ER.noSuchTable,
  isLockTimeout: (e) => errnoOf(e) === ER.lockWaitTimeout,
  maskSecrets: withoutPasswords,
};

/**
 * Quoted strings that are passwords: in account statements `IDENTIFIED BY '…'` (also
 * `IDENTIFIED WITH plugin BY '…'` and `AS '…'`), MariaDB's `IDENTIFIED VIA plugin USING '…'`,
 * `PASSWORD('…')` and `SET PASSWORD … = '…'`; a foreign server's `OPTIONS (PASSWORD '…')`
 * (CREATE/ALTER SERVER); replication's `MASTER_PASSWORD = '…'` and `SOURCE_PASSWORD = '…'`.
 * A string is `'…'` or `"…"` with doubled quotes and backslash escapes.
 */
const PASSWORD_STRINGS =
  /(\bIDENTIFIED\s+(?:WITH\s+\S+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?|\bUSING\s+|\bPASSWORD\s*\(\s*|\bPASSWORD\s+|\b(?:MASTER|SOURCE)_PASSWORD\s*=\s*|\bSET\s+PASSWORD\b[^=;]*=\s*(?:PASSWORD\s*\(\s*)?)('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")/gi;

/** A statement with the passwords it writes replaced by `'***'`, for error messages. */
export function withoutPasswords(sql: string): string {
  return sql.replace(PASSWORD_STRINGS, (_m, lead: string) => `${lead}'***'`);
}

/**
 * A value as MySQL text read the same way in any session: an integer as digits; text as a
 * hexadecimal literal with a utf8mb4 introducer, which neither NO_BACKSLASH_ESCAPES nor
 * ANSI_QUOTES nor the client's character set (always ASCII-compatible) reads differently.
 */
export function mysqlLiteral(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`internal: ${value} is not a whole number`);
    return String(value);
  }
  return `_utf8mb4 X'${Buffer.from(value, 'utf8').toString('hex')}'`;
}
