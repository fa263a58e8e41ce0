/**
 * Session store benchmarks: get, touch, create, and sweep of 100,000 expired sessions for
 * each backend, against floors in the same run. A floor is the same observable work through
 * the raw driver: the same keys written, the same expiry, the same index maintenance where the
 * store's semantics need an index, the same refusals. Floors parse the JSON data they read, as
 * any store must. connect-redis runs the same workload for scale.
 *
 * - memory: a Map of JSON text with expiry (express-session's MemoryStore: JSON.stringify on
 *   set, JSON.parse on get). It keeps no expiry index and sweeps by scanning the whole Map,
 *   so its create is cheaper and its sweep dearer than the store's: consistent, and the least
 *   a store that hands out copies does. (No validation: the store's checks are its own cost.)
 * - SQLite, PostgreSQL, MySQL: the store's statements through raw better-sqlite3 (WAL,
 *   synchronous=NORMAL), pg and mysql2, on the same table and indexes.
 * - Redis, two floors. The old one (kept, so figures compare across commits) is SET PX, GET,
 *   a bare PEXPIRE and an index swept in batches; it is inconsistent: its create and touch
 *   leave the expiry index alone while its sweep relies on it, its touch cannot refuse a
 *   missing or expired session, and it stores a string where the store needs the times too.
 *   The corrected floor ({@link redisHashFloor}) does each operation's work by hand, in the
 *   fewest round trips and commands that do it: create writes the hash, its TTL and its index
 *   entry atomically; get reads the same fields; touch checks and slides in one script (a
 *   condition needs a script or a second round trip) and moves the index entry; sweep deletes
 *   hashes. Both are reported; the corrected one is the target's reference.
 *
 * Why the Redis store keeps an expiry index (the issue allows SCAN and Redis's own expiry
 * instead): the store's clock, not Redis's, decides expiry (it is injectable, and tests move
 * it), so Redis's TTL can only be a safety net kept a grace period longer; sweep must then
 * find what expired by the store's clock and report how many, and count must count the live
 * ones. With SCAN both are O(all sessions) per call instead of O(due); the index costs one
 * ZADD inside the create and touch scripts. A lazy index (touch not moving the entry, sweep
 * re-checking each due entry's hash) would save that ZADD but cost a hash read per due entry
 * in every sweep batch and make count read hashes: rejected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RedisStore } from 'connect-redis';
import type * as mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { SQLITE_SWEEP_BATCH } from '../src/dialects/sqlite/sessions.js';
import { SWEEP_BATCH } from '../src/sessions/backend.js';
import {
  installSessionTables,
  MemoryStore,
  openSessionStore,
  type SessionStore,
} from '../src/sessions/index.js';
import { REDIS_EXPIRY_GRACE_MS, REDIS_SWEEP_BATCH } from '../src/sessions/redis/backend.js';
import { Script } from '../src/sessions/redis/client.js';

const SWEEP_N = 100_000;
const OPS = Number(process.env.BENCH_SESSION_OPS ?? 20_000);
const PG_OPS = Number(process.env.BENCH_SESSION_PG_OPS ?? 3000);
const REDIS_OPS = Number(process.env.BENCH_SESSION_REDIS_OPS ?? 5000);
const REDIS_URL = process.env.DBDOCTOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ADMIN = process.env.DBDOCTOR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_ADMIN = process.env.DBDOCTOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const MYSQL_OPS = Number(process.env.BENCH_SESSION_MYSQL_OPS ?? 3000);
const DATA = { state: 'my_trails', page: 2, trailIds: [1, 2, 3, 4, 5], phone: '+15551234567' };
const TTL = 30 * 60_000;

/** Where measured rows go. */
interface Report {
  push(line: string): void;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(1)} ms`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Ops {
  create(i: number, now: number, ttl: number): Promise<unknown> | unknown;
  get(i: number, now: number): Promise<unknown> | unknown;
  touch(i: number, now: number): Promise<unknown> | unknown;
  sweep(now: number): Promise<unknown> | unknown;
  /** For context: one unbounded DELETE, which holds its locks for the whole sweep. */
  sweepUnbounded?(now: number): Promise<unknown> | unknown;
  /** Untimed set-up for the sweep: `count` sessions that expire at now + ttl. */
  fill(count: number, now: number, ttl: number): Promise<unknown> | unknown;
}

function storeOps(store: SessionStore, clock: { now: number }, fill: Ops['fill']): Ops {
  return {
    fill,
    create: (i, now, ttl) => {
      clock.now = now;
      return store.create(`k${i}`, DATA, { ttl });
    },
    get: (i, now) => {
      clock.now = now;
      return store.get(`k${i}`);
    },
    touch: (i, now) => {
      clock.now = now;
      return store.touch(`k${i}`);
    },
    sweep: (now) => {
      clock.now = now;
      return store.sweep();
    },
  };
}

async function measure(
  name: string,
  ours: Ops,
  floor: Ops,
  n: number,
  report: Report,
  options: { sweep?: boolean; only?: string[] } = {},
): Promise<void> {
  const now = 1_700_000_000_000;
  const row = async (op: string, run: (o: Ops) => Promise<void>, setup?: (o: Ops) => Promise<void>) => {
    if (options.only && !options.only.includes(op)) return;
    // Interleave floor and ours (alternating which goes first), keep each one's best, and
    // also the median of the paired ratios: on a shared machine a busy moment spoils one
    // pair, not the figure.
    const f: number[] = [];
    const o: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const pair = r % 2 === 0 ? [floor, ours] : [ours, floor];
      for (const x of pair) {
        await setup?.(x);
        (x === floor ? f : o).push(await timed(() => run(x)));
      }
    }
    const fb = Math.min(...f);
    const ob = Math.min(...o);
    const paired = o.map((t, i) => t / (f[i] as number)).sort((a, b) => a - b);
    const median = paired[Math.floor(paired.length / 2)] as number;
    report.push(
      `${name} ${op} x${op === 'sweep' ? SWEEP_N : n}: ours ${fmt(ob)} vs floor ${fmt(fb)} = ${ratio(ob, fb)} (median of paired ratios ${median.toFixed(2)}x)`,
    );
  };
  await row('create', async (x) => {
    for (let i = 0; i < n; i++) await x.create(i, now, TTL);
  });
  await row('get', async (x) => {
    for (let i = 0; i < n; i++) await x.get(i, now + 1);
  });
  await row('touch', async (x) => {
    for (let i = 0; i < n; i++) await x.touch(i, now + 2);
  });
  if (floor.sweepUnbounded) {
    const unbounded = floor.sweepUnbounded.bind(floor);
    const t: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await floor.fill(SWEEP_N, now, 1000);
      t.push(await timed(() => unbounded(now + 5000)));
    }
    report.push(
      `${name} sweep x${SWEEP_N}, for context: one unbounded DELETE through the raw driver ${fmt(Math.min(...t))}`,
    );
  }
  if (options.sweep === false) return;
  // Only the sweep is timed; the 100,000 expired sessions are put there first, untimed.
  await row(
    'sweep',
    async (x) => {
      await x.sweep(now + 5000);
    },
    async (x) => {
      await x.fill(SWEEP_N, now, 1000);
    },
  );
}

/**
 * A Map of JSON text with expiry: the least a memory store that hands out copies can do
 * (express-session's MemoryStore does exactly this: JSON.stringify on set, JSON.parse on get).
 */
function jsonMapFloor(): Ops {
  const m = new Map<string, { json: string; expiresAt: number; ttl: number }>();
  return {
    fill: (count, now, ttl) => {
      for (let i = 0; i < count; i++)
        m.set(`e${i}`, { json: JSON.stringify(DATA), expiresAt: now + ttl, ttl });
    },
    create: (i, now, ttl) => void m.set(`k${i}`, { json: JSON.stringify(DATA), expiresAt: now + ttl, ttl }),
    get: (i, now) => {
      const e = m.get(`k${i}`);
      return e && e.expiresAt > now ? JSON.parse(e.json) : undefined;
    },
    touch: (i, now) => {
      const e = m.get(`k${i}`);
      if (e && e.expiresAt > now) e.expiresAt = now + e.ttl;
    },
    sweep: (now) => {
      for (const [k, e] of m) if (e.expiresAt <= now) m.delete(k);
    },
  };
}

/** A Map with expiry sharing the caller's objects (no copies): for context only. */
function mapFloor(): Ops {
  const m = new Map<string, { data: unknown; expiresAt: number; ttl: number }>();
  return {
    fill: (count, now, ttl) => {
      for (let i = 0; i < count; i++) m.set(`e${i}`, { data: DATA, expiresAt: now + ttl, ttl });
    },
    create: (i, now, ttl) => void m.set(`k${i}`, { data: DATA, expiresAt: now + ttl, ttl }),
    get: (i, now) => {
      const e = m.get(`k${i}`);
      return e && e.expiresAt > now ? e : undefined;
    },
    touch: (i, now) => {
      const e = m.get(`k${i}`);
      if (e && e.expiresAt > now) e.expiresAt = now + e.ttl;
    },
    sweep: (now) => {
      for (const [k, e] of m) if (e.expiresAt <= now) m.delete(k);
    },
  };
}

/** Inserts `count` sessions in one statement (same SQL on both dialects' tables). */
const FILL_SQL = (count: number, now: number, ttl: number) => `
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
  INSERT INTO dbdoctor_sessions (key, data, status, created_at, last_activity, expires_at, ttl_ms)
  SELECT 'e' || i, '${JSON.stringify(DATA)}', 'active', ${now}, ${now}, ${now + ttl}, ${ttl} FROM n`;

function sqliteFill(db: Database.Database): Ops['fill'] {
  return (count, now, ttl) => db.exec(FILL_SQL(count, now, ttl));
}

function pgFill(pool: pg.Pool): Ops['fill'] {
  return (count, now, ttl) => pool.query(FILL_SQL(count, now, ttl));
}

function sqliteFloor(file: string): Ops {
  const db = new Database(file);
  db.pragma('synchronous = NORMAL');
  const upsert = db.prepare(
    `INSERT INTO dbdoctor_sessions (key, data, status, created_at, last_activity, expires_at, ttl_ms) VALUES (?, ?, 'active', ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET data = excluded.data, status = excluded.status, created_at = excluded.created_at, last_activity = excluded.last_activity, expires_at = excluded.expires_at, ttl_ms = excluded.ttl_ms`,
  );
  const find = db.prepare(
    'SELECT key, data, status, created_at, last_activity, expires_at, ttl_ms FROM dbdoctor_sessions WHERE key = ?',
  );
  const slide = db.prepare(
    'UPDATE dbdoctor_sessions SET last_activity = ?, expires_at = ? + ttl_ms WHERE key = ? AND expires_at > ?',
  );
  // The store's own bounded batches (SWEEP_BATCH rows per statement) are the same SQL here.
  const sweepBatch = db.prepare(
    'DELETE FROM dbdoctor_sessions WHERE rowid IN (SELECT rowid FROM dbdoctor_sessions WHERE expires_at <= ? LIMIT ?)',
  );
  const batch = SQLITE_SWEEP_BATCH;
  return {
    fill: sqliteFill(db),
    create: (i, now, ttl) => upsert.run(`k${i}`, JSON.stringify(DATA), now, now, now + ttl, ttl),
    get: (i) => {
      const r = find.get(`k${i}`) as { data: string } | undefined;
      return r && JSON.parse(r.data);
    },
    touch: (i, now) => slide.run(now, now, `k${i}`, now),
    sweep: (now) => {
      while (sweepBatch.run(now, batch).changes === batch);
    },
    sweepUnbounded: (now) => db.prepare('DELETE FROM dbdoctor_sessions WHERE expires_at <= ?').run(now),
  };
}

function pgFloor(pool: pg.Pool): Ops {
  return {
    fill: pgFill(pool),
    create: (i, now, ttl) =>
      pool.query({
        name: 'f_upsert',
        text: `INSERT INTO dbdoctor_sessions (key, data, status, created_at, last_activity, expires_at, ttl_ms) VALUES ($1, $2, 'active', $3, $3, $4, $5)
               ON CONFLICT (key) DO UPDATE SET data = excluded.data, status = excluded.status, created_at = excluded.created_at, last_activity = excluded.last_activity, expires_at = excluded.expires_at, ttl_ms = excluded.ttl_ms`,
        values: [`k${i}`, JSON.stringify(DATA), now, now + ttl, ttl],
      }),
    get: (i) =>
      pool.query({
        name: 'f_find',
        text: 'SELECT key, data, status, created_at, last_activity, expires_at, ttl_ms FROM dbdoctor_sessions WHERE key = $1',
        values: [`k${i}`],
      }),
    touch: (i, now) =>
      pool.query({
        name: 'f_slide',
        text: 'UPDATE dbdoctor_sessions SET last_activity = $2, expires_at = $2 + ttl_ms WHERE key = $1 AND expires_at > $2',
        values: [`k${i}`, now],
      }),
    sweep: async (now) => {
      for (;;) {
        const r = await pool.query({
          name: 'f_sweep',
          text: `DELETE FROM dbdoctor_sessions WHERE ctid = ANY(ARRAY(
                   SELECT ctid FROM dbdoctor_sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
          values: [now, SWEEP_BATCH],
        });
        if (r.rowCount !== SWEEP_BATCH) return;
      }
    },
    sweepUnbounded: (now) => pool.query('DELETE FROM dbdoctor_sessions WHERE expires_at <= $1', [now]),
  };
}

/** Untimed: `count` sessions in multi-row INSERTs of 2,000 (MySQL has no generate_series). */
function mysqlFill(pool: mysql.Pool): Ops['fill'] {
  return async (count, now, ttl) => {
    const data = JSON.stringify(DATA).replace(/'/g, "''");
    for (let from = 1; from <= count; from += 2000) {
      const rows: string[] = [];
      for (let i = from; i < Math.min(from + 2000, count + 1); i++)
        rows.push(`('e${i}', '${data}', 'active', ${now}, ${now}, ${now + ttl}, ${ttl})`);
      await pool.query(
        `INSERT INTO dbdoctor_sessions (\`key\`, data, status, created_at, last_activity, expires_at, ttl_ms) VALUES ${rows.join(', ')}`,
      );
    }
  };
}

/** The same statements as the store's MySQL role, through raw mysql2 (server-prepared). */
function mysqlFloor(pool: mysql.Pool): Ops {
  return {
    fill: mysqlFill(pool),
    create: (i, now, ttl) =>
      pool.execute(
        `INSERT INTO dbdoctor_sessions (\`key\`, data, status, created_at, last_activity, expires_at, ttl_ms) VALUES (?, ?, 'active', ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE data = VALUES(data), status = VALUES(status), created_at = VALUES(created_at),
           last_activity = VALUES(last_activity), expires_at = VALUES(expires_at), ttl_ms = VALUES(ttl_ms)`,
        [`k${i}`, JSON.stringify(DATA), now, now, now + ttl, ttl],
      ),
    get: async (i) => {
      const [rows] = await pool.execute(
        'SELECT `key`, data, status, created_at, last_activity, expires_at, ttl_ms FROM dbdoctor_sessions WHERE `key` = ?',
        [`k${i}`],
      );
      const r = (rows as { data: string }[])[0];
      return r && JSON.parse(r.data);
    },
    touch: (i, now) =>
      pool.execute(
        'UPDATE dbdoctor_sessions SET last_activity = ?, expires_at = ? + ttl_ms WHERE `key` = ? AND expires_at > ?',
        [now, now, `k${i}`, now],
      ),
    sweep: async (now) => {
      for (;;) {
        const [r] = await pool.execute(
          `DELETE FROM dbdoctor_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ${SWEEP_BATCH}`,
          [now],
        );
        if ((r as { affectedRows: number }).affectedRows !== SWEEP_BATCH) return;
      }
    },
    sweepUnbounded: (now) => pool.execute('DELETE FROM dbdoctor_sessions WHERE expires_at <= ?', [now]),
  };
}

/**
 * Plain node-redis commands: SET with PX, GET, PEXPIRE, and an expiry index (a sorted set)
 * swept in batches of the store's size: what any Redis session store must do at least.
 */
function redisFloor(client: ReturnType<typeof createClient>, prefix: string): Ops {
  const index = `${prefix}expires`;
  return {
    fill: async (count, now, ttl) => {
      for (let i = 0; i < count; i += 1000) {
        const multi = client.multi();
        for (let j = i; j < Math.min(count, i + 1000); j++) {
          multi.set(`${prefix}e${j}`, JSON.stringify(DATA), { PX: ttl + 60_000 });
          multi.zAdd(index, { score: now + ttl, value: `e${j}` });
        }
        await multi.exec();
      }
    },
    create: (i, _now, ttl) => client.set(`${prefix}k${i}`, JSON.stringify(DATA), { PX: ttl }),
    get: async (i) => {
      const v = await client.get(`${prefix}k${i}`);
      return v && JSON.parse(v);
    },
    touch: (i, _now) => client.pExpire(`${prefix}k${i}`, TTL),
    sweep: async (now) => {
      for (;;) {
        const due = await client.zRangeByScore(index, '-inf', now, {
          LIMIT: { offset: 0, count: REDIS_SWEEP_BATCH },
        });
        if (due.length === 0) return;
        await client
          .multi()
          .del(due.map((m) => `${prefix}${m}`))
          .zRem(index, due)
          .exec();
        if (due.length < REDIS_SWEEP_BATCH) return;
      }
    },
  };
}

/**
 * The corrected Redis floor: the observable work of each operation, written by hand on raw
 * node-redis with the keys and types the store uses (a hash per session holding the data and
 * the times `get` returns, a Redis TTL, one sorted set of keys by expiry for sweep and count).
 * - create writes the hash, its TTL and its index entry atomically (a sweep in between would
 *   otherwise delete the new session under its old entry): one EVALSHA of HSET, PEXPIRE,
 *   ZADD. The same three commands as MULTI/EXEC are measured beside it, for context.
 * - get reads the same hash fields (the data and the times) and parses the data.
 * - touch refuses a missing or expired session (by the caller's clock, as the store's is
 *   injectable, not Redis's), then slides lastActivity, expiresAt, the Redis TTL and the index
 *   entry: a condition, so one EVALSHA of HMGET, HSET, PEXPIRE, ZADD (WATCH/MULTI would take
 *   two round trips).
 * - sweep is the old floor's batches (it already used the index), deleting hashes: Redis
 *   frees a hash more slowly than a string, and the old floor's fill wrote strings.
 */
function redisHashFloor(
  client: ReturnType<typeof createClient>,
  prefix: string,
): Ops & { createMulti: Ops['create'] } {
  const index = `${prefix}expires`;
  const hash = (k: string) => `${prefix}${k}`;
  const put = new Script(`
redis.call('HSET', KEYS[1], 'd', ARGV[2], 's', 'active', 'c', ARGV[3], 'l', ARGV[3], 'e', ARGV[4], 't', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])`);
  const touch = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'e', 't')
if not cur[1] or tonumber(cur[1]) <= tonumber(ARGV[2]) then return 0 end
local e = string.format('%.0f', tonumber(ARGV[2]) + tonumber(cur[2]))
redis.call('HSET', KEYS[1], 'l', ARGV[2], 'e', e)
redis.call('PEXPIRE', KEYS[1], tonumber(cur[2]) + ${REDIS_EXPIRY_GRACE_MS})
redis.call('ZADD', KEYS[2], e, ARGV[1])
return 1`);
  const fields = (now: number, ttl: number) => ({
    d: JSON.stringify(DATA),
    s: 'active',
    c: now,
    l: now,
    e: now + ttl,
    t: ttl,
  });
  return {
    fill: async (count, now, ttl) => {
      for (let i = 0; i < count; i += 1000) {
        const multi = client.multi();
        for (let j = i; j < Math.min(count, i + 1000); j++) {
          multi.hSet(hash(`e${j}`), fields(now, ttl));
          multi.pExpire(hash(`e${j}`), ttl + REDIS_EXPIRY_GRACE_MS);
          multi.zAdd(index, { score: now + ttl, value: `e${j}` });
        }
        await multi.exec();
      }
    },
    create: (i, now, ttl) =>
      put.run(
        client,
        [hash(`k${i}`), index],
        [`k${i}`, JSON.stringify(DATA), now, now + ttl, ttl, ttl + REDIS_EXPIRY_GRACE_MS],
      ),
    createMulti: (i, now, ttl) =>
      client
        .multi()
        .hSet(hash(`k${i}`), fields(now, ttl))
        .pExpire(hash(`k${i}`), ttl + REDIS_EXPIRY_GRACE_MS)
        .zAdd(index, { score: now + ttl, value: `k${i}` })
        .exec(),
    get: async (i) => {
      const h = await client.hmGet(hash(`k${i}`), ['d', 's', 'c', 'l', 'e', 't']);
      return h[0] == null ? undefined : { data: JSON.parse(h[0]), times: h.slice(1) };
    },
    touch: (i, now) => touch.run(client, [hash(`k${i}`), index], [`k${i}`, now]),
    sweep: async (now) => {
      for (;;) {
        const due = await client.zRangeByScore(index, '-inf', now, {
          LIMIT: { offset: 0, count: REDIS_SWEEP_BATCH },
        });
        if (due.length === 0) return;
        await client
          .multi()
          .del(due.map((m) => hash(m)))
          .zRem(index, due)
          .exec();
        if (due.length < REDIS_SWEEP_BATCH) return;
      }
    },
  };
}

/** connect-redis (express-session's most used store) on the same workload, for scale. */
function connectRedisOps(client: ReturnType<typeof createClient>, prefix: string): Ops {
  const store = new RedisStore({ client, prefix, ttl: TTL / 1000 });
  const sess = DATA as unknown as Parameters<RedisStore['set']>[1];
  return {
    fill: () => {},
    create: (i) => store.set(`k${i}`, sess),
    get: (i) => store.get(`k${i}`),
    touch: (i) => store.touch(`k${i}`, sess),
    sweep: () => {},
  };
}

/** Which backends to measure: BENCH_SESSION_BACKENDS=memory,sqlite,postgres,mysql,redis (default all). */
const BACKENDS = new Set(
  (process.env.BENCH_SESSION_BACKENDS ?? 'memory,sqlite,postgres,mysql,redis').split(','),
);

async function benchMemory(report: Report): Promise<void> {
  const memClock = { now: 0 };
  const memStore = new MemoryStore({ clock: () => memClock.now });
  const ours = storeOps(memStore, memClock, async (count, now, ttl) => {
    memClock.now = now;
    for (let i = 0; i < count; i++) await memStore.create(`e${i}`, DATA, { ttl });
  });
  await measure('memory', ours, jsonMapFloor(), OPS * 5, report);
  // For context: what copying costs against a Map that shares the caller's objects.
  await measure('memory (vs a Map without copies, context)', ours, mapFloor(), OPS * 5, report, {
    sweep: false,
  });
}

async function benchRedis(report: Report): Promise<void> {
  const tag = `dbdoctor-bench:${process.pid}:`;
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {});
  await client.connect();
  const oursPrefix = `${tag}ours:`;
  const redisClock = { now: 0 };
  const store = await openSessionStore(`${REDIS_URL}?prefix=${encodeURIComponent(oursPrefix)}`, {
    clock: () => redisClock.now,
  });
  // The store's own fill: sessions in its hashes and indexes, 1,000 per pipeline.
  const fill: Ops['fill'] = async (count, now, ttl) => {
    redisClock.now = now;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      pending.push(store.create(`e${i}`, DATA, { ttl }));
      if (pending.length === 1000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  };
  try {
    await measure(
      'Redis',
      storeOps(store, redisClock, fill),
      redisFloor(client, `${tag}floor:`),
      REDIS_OPS,
      report,
    );
    const hashFloor = redisHashFloor(client, `${tag}floor3:`);
    await measure('Redis (corrected floor)', storeOps(store, redisClock, fill), hashFloor, REDIS_OPS, report);
    await measure(
      'Redis (corrected floor, create as MULTI/EXEC instead of a script, for context)',
      storeOps(store, redisClock, fill),
      { ...hashFloor, create: hashFloor.createMulti },
      REDIS_OPS,
      report,
      { sweep: false, only: ['create'] },
    );
    await measure(
      'Redis (connect-redis on the same floor, for scale)',
      connectRedisOps(client, `${tag}connect:`),
      redisFloor(client, `${tag}floor2:`),
      REDIS_OPS,
      report,
      { sweep: false },
    );
  } finally {
    await store.close();
    for await (const keys of client.scanIterator({ MATCH: `${tag}*`, COUNT: 1000 }))
      if (keys.length) await client.del(keys);
    await client.close();
  }
}

async function benchSqlite(report: Report, tmp: string): Promise<void> {
  const oursFile = path.join(tmp, 'ours.sqlite');
  const floorFile = path.join(tmp, 'floor.sqlite');
  for (const f of [oursFile, floorFile]) {
    const db = new Database(f);
    db.pragma('journal_mode = WAL');
    db.close();
    await installSessionTables({ database: `sqlite:${f}` });
  }
  const sqliteDb = new Database(oursFile);
  sqliteDb.pragma('synchronous = NORMAL');
  const sqlClock = { now: 0 };
  const sqliteStore = await openSessionStore(sqliteDb, { clock: () => sqlClock.now });
  const floor = sqliteFloor(floorFile);
  await measure('SQLite', storeOps(sqliteStore, sqlClock, sqliteFill(sqliteDb)), floor, OPS, report);
}

async function benchPostgres(report: Report): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const names = [`dbdoctor_bench_s1_${process.pid}`, `dbdoctor_bench_s2_${process.pid}`];
  const urls = names.map((n) => {
    const u = new URL(ADMIN);
    u.pathname = `/${n}`;
    return u.toString();
  });
  try {
    for (const n of names) await admin.query(`CREATE DATABASE ${n}`);
    for (const u of urls) await installSessionTables({ database: u });
    const oursPool = new pg.Pool({ connectionString: urls[0], max: 1 });
    const floorPool = new pg.Pool({ connectionString: urls[1], max: 1 });
    // An idle client dropped by the server emits 'error'; without a listener Node would crash.
    for (const p of [oursPool, floorPool]) p.on('error', () => {});
    const pgClock = { now: 0 };
    const pgStore = await openSessionStore(oursPool, { clock: () => pgClock.now });
    await measure(
      'PostgreSQL',
      storeOps(pgStore, pgClock, pgFill(oursPool)),
      pgFloor(floorPool),
      PG_OPS,
      report,
    );
    await oursPool.end();
    await floorPool.end();
  } finally {
    for (const n of names) await admin.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    await admin.end();
  }
}

async function benchMysql(report: Report): Promise<void> {
  const driver = (await import('mysql2/promise')).default;
  const admin = await driver.createConnection(MYSQL_ADMIN);
  const names = [`dbdoctor_bench_s1_${process.pid}`, `dbdoctor_bench_s2_${process.pid}`];
  const urls = names.map((n) => {
    const u = new URL(MYSQL_ADMIN);
    u.pathname = `/${n}`;
    return u.toString();
  });
  try {
    for (const n of names) await admin.query(`CREATE DATABASE ${n}`);
    for (const u of urls) await installSessionTables({ database: u });
    const [oursPool, floorPool] = urls.map((uri) => driver.createPool({ uri, connectionLimit: 1 }));
    const myClock = { now: 0 };
    const myStore = await openSessionStore(oursPool!, { clock: () => myClock.now });
    await measure(
      'MySQL',
      storeOps(myStore, myClock, mysqlFill(oursPool!)),
      mysqlFloor(floorPool!),
      MYSQL_OPS,
      report,
    );
    await oursPool!.end();
    await floorPool!.end();
  } finally {
    for (const n of names) await admin.query(`DROP DATABASE IF EXISTS ${n}`);
    await admin.end();
  }
}

// Each row is printed as soon as it is measured, so a later failure loses nothing.
const report: Report = { push: (line) => console.log(line) };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-bench-sessions-'));
try {
  if (BACKENDS.has('memory')) await benchMemory(report);
  if (BACKENDS.has('sqlite')) await benchSqlite(report, tmp);
  if (BACKENDS.has('postgres')) await benchPostgres(report);
  if (BACKENDS.has('mysql')) await benchMysql(report);
  if (BACKENDS.has('redis')) await benchRedis(report);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
