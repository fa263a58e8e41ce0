import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createClient } from 'redis';
import {
  installSessionTables,
  type LoginThrottle,
  MemoryStore,
  type MemoryStoreOptions,
  openLoginThrottle,
  openSessionStore,
  type SessionData,
  type SessionStore,
  type ThrottleOptions,
} from '../../src/sessions/index.js';
import {
  createTestDatabase,
  DIALECTS,
  pendingOn,
  SESSIONS_PENDING,
  type TestDatabase,
  type TestDialect,
} from './databases.js';

export type SessionBackendName = 'memory' | TestDialect | 'redis';
/**
 * Every backend a session store runs on; the contract tests run once per backend. The SQL
 * ones follow DBDOCTOR_TEST_DIALECTS, as every integration test does.
 */
export const SESSION_BACKENDS: readonly SessionBackendName[] = ['memory', ...DIALECTS, 'redis'];
/** The backends another process can share (everything but memory). */
export const SHARED_BACKENDS: readonly Exclude<SessionBackendName, 'memory'>[] = [...DIALECTS, 'redis'];

/** Suite options for one backend: skipped, printing why, where sessions are pending. */
export function sessionsPendingOn(name: SessionBackendName): { skip: string | false } {
  return pendingOn(name, SESSIONS_PENDING);
}

/**
 * The backends a test that compares several at once can use: the pending ones are left out, and
 * `pendingNote` names them (put it in the test's name so the report says what did not run).
 */
export const RUNNABLE_SESSION_BACKENDS = SESSION_BACKENDS.filter((n) => !sessionsPendingOn(n).skip);
export const RUNNABLE_SHARED_BACKENDS = SHARED_BACKENDS.filter((n) => !sessionsPendingOn(n).skip);
const pendingNames = SESSION_BACKENDS.filter((n) => sessionsPendingOn(n).skip);
export const pendingNote =
  pendingNames.length === 0
    ? ''
    : ` (not on ${pendingNames.join(', ')}: ${pendingNames.map((n) => sessionsPendingOn(n).skip).join('; ')})`;

export const REDIS_URL = process.env.DBDOCTOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Redis key prefix only this test uses, and how to delete exactly its keys. */
export interface TestRedis {
  prefix: string;
  /** The Redis URL with `?prefix=` set, for stores, throttles, workers and the CLI. */
  url: string;
  /** Keys under the prefix now. */
  keys(): Promise<string[]>;
  drop(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `dbdoctor-test:${randomBytes(6).toString('hex')}:`;
  const u = new URL(REDIS_URL);
  u.searchParams.set('prefix', prefix);
  const keys = async () => {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    try {
      const found: string[] = [];
      // The prefix is hex and colons only: no glob characters to escape in MATCH.
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        found.push(...batch);
      return found;
    } finally {
      await client.close();
    }
  };
  return {
    prefix,
    url: u.toString(),
    keys,
    drop: async () => {
      const found = await keys();
      if (found.length === 0) return;
      const client = createClient({ url: REDIS_URL });
      client.on('error', () => {});
      await client.connect();
      try {
        for (let i = 0; i < found.length; i += 500) await client.del(found.slice(i, i + 500));
      } finally {
        await client.close();
      }
    },
  };
}

/** One backend set up for a test: a fresh database, key prefix or memory store. */
export interface BackendUnderTest {
  name: SessionBackendName;
  /** The URL other processes and the CLI open (null for memory). */
  url: string | null;
  /** The SQL database, for raw checks (null for memory and Redis). */
  db: TestDatabase | null;
  redis: TestRedis | null;
  /** A store; on memory every call returns one shared store per options object's clock. */
  open<T extends SessionData = SessionData>(options?: MemoryStoreOptions): Promise<SessionStore<T>>;
  openThrottle(options?: ThrottleOptions): Promise<LoginThrottle>;
  drop(): Promise<void>;
}

/** Sets up `name` for one test file (or one test): tables installed, nothing else there. */
export async function backendUnderTest(name: SessionBackendName): Promise<BackendUnderTest> {
  const opened: { close(): Promise<void> }[] = [];
  const track = <S extends { close(): Promise<void> }>(s: S) => {
    opened.push(s);
    return s;
  };
  const closeAll = async () => {
    for (const s of opened.splice(0).reverse()) await s.close().catch(() => {});
  };
  if (name === 'memory') {
    return {
      name,
      url: null,
      db: null,
      redis: null,
      open: async <T extends SessionData>(options?: MemoryStoreOptions) =>
        track(new MemoryStore<T>(options)) as SessionStore<T>,
      openThrottle: () => {
        throw new Error('the login throttle needs a database');
      },
      drop: closeAll,
    };
  }
  if (name === 'redis') {
    const redis = await createTestRedis();
    return {
      name,
      url: redis.url,
      db: null,
      redis,
      open: async <T extends SessionData>(options?: MemoryStoreOptions) =>
        track(await openSessionStore<T>(redis.url, options)) as SessionStore<T>,
      openThrottle: async (options) => track(await openLoginThrottle(redis.url, options)),
      drop: async () => {
        await closeAll();
        await redis.drop();
      },
    };
  }
  const db = await createTestDatabase(name);
  await installSessionTables({ database: db.url });
  const openSql = async <T extends SessionData>(options?: MemoryStoreOptions): Promise<SessionStore<T>> => {
    if (name !== 'sqlite') return openSessionStore<T>(db.url, options);
    // SQLite: WAL without fsync per commit, so thousands of single-row writes take
    // milliseconds; nothing here tests durability. Other processes open the URL as it is.
    const conn = new Database(db.url.slice('sqlite:'.length));
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = OFF');
    const store = await openSessionStore<T>(conn, options);
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      conn.close();
    };
    return store;
  };
  return {
    name,
    url: db.url,
    db,
    redis: null,
    open: async <T extends SessionData>(options?: MemoryStoreOptions) => track(await openSql<T>(options)),
    openThrottle: async (options) => track(await openLoginThrottle(db.url, options)),
    drop: async () => {
      await closeAll();
      await db.drop();
    },
  };
}

/** A clock the test moves by hand: no test ever sleeps. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

const WORKER = path.resolve(import.meta.dirname, '../fixtures/session-worker.ts');

/** Runs the session worker fixture in its own process; resolves with its exit code and stderr. */
export function runWorker(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Path of the worker fixture, for tests that drive it over stdin/stdout themselves. */
export const SESSION_WORKER = WORKER;
