/**
 * dbdoctor/sessions: expiring session stores on memory, SQLite, PostgreSQL and Redis with one
 * interface and one behaviour, an express-session adapter, and a login throttle shared by
 * every worker.
 */
// The library entry registers the built-in dialects (as the main entry does): their folders
// hold the session statements.
import '../dialects/builtin.js';

export type { SessionBackend, StoredSession } from './backend.js';
export type { SessionDatabaseInput } from './database.js';
export {
  cookieTtl,
  type ExpressSessionModule,
  type ExpressStoreOptions,
  expressSessionStore,
} from './express.js';
export { MemoryBackend, MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SESSION_TABLES } from './names.js';
export type { RedisCommander } from './redis/client.js';
export { openSessionStore, SqlSessionStore, type SqlStoreOptions } from './sql-store.js';
export { BackendStore } from './store.js';
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
  SlideOptions,
  StoreOptions,
  SweepOptions,
  Ttl,
  Validation,
} from './types.js';
export { generateKey } from './validate.js';
