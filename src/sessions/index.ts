/**
 * dbdoctor/sessions: expiring session stores on memory, SQLite and PostgreSQL with one
 * interface, an express-session adapter, and a login throttle shared by every worker.
 */
export { type ExpressSessionModule, expressSessionStore } from './express.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { openSessionStore, SqlSessionStore, type SqlStoreOptions } from './sql-store.js';
export {
  copySessionMigrations,
  installSessionTables,
  listSessionMigrations,
  SESSIONS_HISTORY_TABLE,
  sessionMigrationsDir,
} from './tables.js';
export {
  type LoginThrottle,
  openLoginThrottle,
  type ThrottleOptions,
  type ThrottleState,
} from './throttle.js';
export type {
  InvalidReason,
  JsonValue,
  ListOptions,
  Session,
  SessionData,
  SessionStatus,
  SessionStore,
  StoreOptions,
  Ttl,
  Validation,
} from './types.js';
export { generateKey } from './validate.js';
