import { compareCodePoints, type SessionBackend, type StoredSession } from '../backend.js';
import type { SessionStatus } from '../types.js';
import { type RedisCommander, Script } from './client.js';

/**
 * How long Redis keeps a session's hash after its expiry by the store's clock: Redis's own
 * TTL only collects what nobody swept, so the store's clock (injectable, and possibly a
 * little off Redis's) alone decides when a session expires, as on every other backend.
 */
export const REDIS_EXPIRY_GRACE_MS = 60_000;
/** How many expired sessions one Redis sweep script removes (a short script; Redis is single-threaded). */
export const REDIS_SWEEP_BATCH = 1000;

// Every session script gets KEYS = [the session's hash, the expiry index] and ARGV[1] = the
// session key. The expiry index is a sorted set of keys by expiresAt (sweep, count, list).
const PUT = new Script(`
redis.call('HSET', KEYS[1], 'd', ARGV[2], 's', ARGV[3], 'c', ARGV[4], 'l', ARGV[5], 'e', ARGV[6], 't', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 1`);

const REMOVE_IF_EXPIRED = new Script(`
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) > tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);

// Compare-and-set of the data: applies only if the data is still the text the caller read.
const REPLACE = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'd', 's', 'c', 'e', 't')
local now = tonumber(ARGV[4])
if not cur[1] or cur[1] ~= ARGV[2] or tonumber(cur[4]) <= now then return false end
local ttl = ARGV[5] ~= '' and ARGV[5] or cur[5]
local e = string.format('%.0f', now + tonumber(ttl))
redis.call('HSET', KEYS[1], 'd', ARGV[3], 'l', ARGV[4], 'e', e, 't', ttl)
redis.call('PEXPIRE', KEYS[1], tonumber(ttl) + tonumber(ARGV[6]))
redis.call('ZADD', KEYS[2], e, ARGV[1])
return {cur[2], cur[3], e, ttl}`);

const SLIDE = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'e', 't')
local now = tonumber(ARGV[2])
if not cur[1] or tonumber(cur[1]) <= now then return 0 end
local ttl = ARGV[3] ~= '' and ARGV[3] or cur[2]
local e = string.format('%.0f', now + tonumber(ttl))
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 's', ARGV[4], 'l', ARGV[2], 'e', e, 't', ttl)
else redis.call('HSET', KEYS[1], 'l', ARGV[2], 'e', e, 't', ttl) end
redis.call('PEXPIRE', KEYS[1], tonumber(ttl) + tonumber(ARGV[5]))
redis.call('ZADD', KEYS[2], e, ARGV[1])
return 1`);

// The hot path of SLIDE (touch with the session's own TTL, no status): ARGV = key, now. Only
// what changes is written (lastActivity, expiresAt), and no option is parsed in Lua.
const TOUCH = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'e', 't')
if not cur[1] or tonumber(cur[1]) <= tonumber(ARGV[2]) then return 0 end
local e = string.format('%.0f', tonumber(ARGV[2]) + tonumber(cur[2]))
redis.call('HSET', KEYS[1], 'l', ARGV[2], 'e', e)
redis.call('PEXPIRE', KEYS[1], tonumber(cur[2]) + ${REDIS_EXPIRY_GRACE_MS})
redis.call('ZADD', KEYS[2], e, ARGV[1])
return 1`);

const REMOVE_LIVE = new Script(`
local e = redis.call('HGET', KEYS[1], 'e')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if e and tonumber(e) > tonumber(ARGV[2]) then return 1 end
return 0`);

// KEYS = [the expiry index]; ARGV = now ('+inf' clears all), limit, prefix of the session
// hashes. Removes sessions due by now (and index entries whose hash Redis already expired). Three calls a
// batch, not two a session: the due members are the lowest ranks of the index, so one DEL
// takes their hashes and one ZREMRANGEBYRANK their entries (a batch is at most the store's
// REDIS_SWEEP_BATCH keys, well under Lua's limit on unpack).
const SWEEP = new Script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local n = #due
if n == 0 then return 0 end
local hashes = {}
for i = 1, n do hashes[i] = ARGV[3] .. due[i] end
redis.call('DEL', unpack(hashes))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - 1)
return n`);

// KEYS = [the expiry index]; ARGV = first rank, how many, prefix. One chunk of the index:
// each session's key, status, lastActivity and expiresAt (nothing for a hash already gone).
const LIST_CHUNK = new Script(`
local members = redis.call('ZRANGE', KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
local out = {}
for _, m in ipairs(members) do
  local h = redis.call('HMGET', ARGV[3] .. m, 's', 'l', 'e')
  if h[1] then
    out[#out + 1] = m
    out[#out + 1] = h[1]
    out[#out + 1] = h[2]
    out[#out + 1] = h[3]
  end
end
return {#members, out}`);

/** Sessions the list walk keeps at most at once, beyond the page (bounded memory). */
const LIST_CHUNK_SIZE = 1000;

/**
 * Sessions on Redis, one hash per session (`<prefix>session:<key>`: data as JSON text,
 * status, times) with a Redis TTL of the session's TTL plus {@link REDIS_EXPIRY_GRACE_MS},
 * and one sorted set of keys by expiry (`<prefix>sessions:expires`) for sweep, count and
 * list. Every change is one Lua script, so it is atomic: `update` is a compare-and-set on the
 * data text, and the expiry moves with its index entry. `list` walks the index in chunks and
 * orders in JavaScript (an admin view: O(sessions), never one long script). Needs one Redis
 * server (standalone or a Sentinel-managed primary): sweep and list reach hashes by name
 * inside a script, which Redis Cluster does not allow.
 */
export class RedisSessionBackend implements SessionBackend {
  readonly name = 'Redis';
  readonly sweepBatchSize = REDIS_SWEEP_BATCH;
  private readonly hashPrefix: string;
  private readonly expires: string;

  constructor(
    private readonly client: RedisCommander,
    prefix: string,
    private readonly onClose: () => Promise<void>,
  ) {
    this.hashPrefix = `${prefix}session:`;
    this.expires = `${prefix}sessions:expires`;
  }

  private keys(key: string): string[] {
    return [this.hashPrefix + key, this.expires];
  }

  async put(s: StoredSession): Promise<void> {
    await PUT.run(this.client, this.keys(s.key), [
      s.key,
      s.data,
      s.status,
      s.createdAt,
      s.lastActivity,
      s.expiresAt,
      s.ttlMs,
      s.ttlMs + REDIS_EXPIRY_GRACE_MS,
    ]);
  }

  async find(key: string): Promise<StoredSession | undefined> {
    const h = (await this.client.sendCommand([
      'HMGET',
      this.hashPrefix + key,
      'd',
      's',
      'c',
      'l',
      'e',
      't',
    ])) as (string | null)[];
    return h[0] == null ? undefined : toRow(key, h);
  }

  async removeIfExpired(key: string, now: number): Promise<void> {
    await REMOVE_IF_EXPIRED.run(this.client, this.keys(key), [key, now]);
  }

  async replaceData(
    key: string,
    expected: string,
    data: string,
    now: number,
    ttlMs: number | null,
  ): Promise<StoredSession | undefined> {
    const r = (await REPLACE.run(this.client, this.keys(key), [
      key,
      expected,
      data,
      now,
      ttlMs ?? '',
      REDIS_EXPIRY_GRACE_MS,
    ])) as [string, string, string, string] | null;
    if (r == null) return undefined;
    return {
      key,
      data,
      status: r[0] as SessionStatus,
      createdAt: Number(r[1]),
      lastActivity: now,
      expiresAt: Number(r[2]),
      ttlMs: Number(r[3]),
    };
  }

  async slide(
    key: string,
    now: number,
    ttlMs: number | null,
    status: SessionStatus | null,
  ): Promise<boolean> {
    if (ttlMs === null && status === null)
      return Number(await TOUCH.run(this.client, this.keys(key), [key, now])) === 1;
    const r = await SLIDE.run(this.client, this.keys(key), [
      key,
      now,
      ttlMs ?? '',
      status ?? '',
      REDIS_EXPIRY_GRACE_MS,
    ]);
    return Number(r) === 1;
  }

  async removeLive(key: string, now: number): Promise<boolean> {
    return Number(await REMOVE_LIVE.run(this.client, this.keys(key), [key, now])) === 1;
  }

  async sweepStep(now: number, limit: number): Promise<{ removed: number; done: boolean }> {
    const removed = Number(await SWEEP.run(this.client, [this.expires], [now, limit, this.hashPrefix]));
    return { removed, done: removed < limit };
  }

  async list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): Promise<StoredSession[]> {
    const want = offset + limit;
    if (limit === 0) return [];
    const order = (a: Candidate, b: Candidate) =>
      b.lastActivity - a.lastActivity || compareCodePoints(a.key, b.key);
    let best: Candidate[] = [];
    for (let rank = 0; ; rank += LIST_CHUNK_SIZE) {
      const [seen, flat] = (await LIST_CHUNK.run(
        this.client,
        [this.expires],
        [rank, LIST_CHUNK_SIZE, this.hashPrefix],
      )) as [number, string[]];
      for (let i = 0; i < flat.length; i += 4) {
        const c = {
          key: flat[i] as string,
          status: flat[i + 1],
          lastActivity: Number(flat[i + 2]),
          expiresAt: Number(flat[i + 3]),
        };
        if (status !== null && c.status !== status) continue;
        if (!includeExpired && c.expiresAt <= now) continue;
        best.push(c);
      }
      if (best.length > 2 * want + LIST_CHUNK_SIZE) best = best.sort(order).slice(0, want);
      if (Number(seen) < LIST_CHUNK_SIZE) break;
    }
    const page = best.sort(order).slice(offset, want);
    const rows = await Promise.all(page.map((c) => this.find(c.key)));
    // A session removed between the walk and this read is left out, as if listed a moment later.
    return rows.filter((r): r is StoredSession => r !== undefined);
  }

  async count(now: number): Promise<number> {
    return Number(await this.client.sendCommand(['ZCOUNT', this.expires, `(${now}`, '+inf']));
  }

  async clear(): Promise<void> {
    // SWEEP with no due time: every session, a batch at a time.
    while (Number(await SWEEP.run(this.client, [this.expires], ['+inf', 1000, this.hashPrefix])) > 0);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

interface Candidate {
  key: string;
  status: string | undefined;
  lastActivity: number;
  expiresAt: number;
}

function toRow(key: string, h: (string | null)[]): StoredSession {
  return {
    key,
    data: h[0] as string,
    status: h[1] as SessionStatus,
    createdAt: Number(h[2]),
    lastActivity: Number(h[3]),
    expiresAt: Number(h[4]),
    ttlMs: Number(h[5]),
  };
}
