import type { SessionBackend, StoredSession } from '../backend.js';
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

// Every session script gets KEYS = [hash, expires index, activity index, status indexes
// (active, completed, abandoned)] and ARGV[1] = the session key. The indexes are sorted sets:
// expires by expiresAt (sweep, count), activity and status by -lastActivity, so ZRANGE gives
// most recent first and, for equal times, keys in byte (code point) order, as SQL's ORDER BY.
const INDEX = `
local function index(status, expires, last)
  redis.call('ZADD', KEYS[2], expires, ARGV[1])
  redis.call('ZADD', KEYS[3], -last, ARGV[1])
  local names = {'active', 'completed', 'abandoned'}
  for i = 1, 3 do
    if names[i] == status then redis.call('ZADD', KEYS[3 + i], -last, ARGV[1])
    else redis.call('ZREM', KEYS[3 + i], ARGV[1]) end
  end
end
local function unindex()
  for i = 2, 6 do redis.call('ZREM', KEYS[i], ARGV[1]) end
end
`;

const PUT = new Script(`${INDEX}
redis.call('HSET', KEYS[1], 'd', ARGV[2], 's', ARGV[3], 'c', ARGV[4], 'l', ARGV[5], 'e', ARGV[6], 't', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
index(ARGV[3], tonumber(ARGV[6]), tonumber(ARGV[5]))
return 1`);

const REMOVE_IF_EXPIRED = new Script(`${INDEX}
local e = redis.call('HGET', KEYS[1], 'e')
if not e then unindex() return 0 end
if tonumber(e) <= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) unindex() return 1 end
return 0`);

// Compare-and-set of the data: applies only if the data is still the text the caller read.
const REPLACE = new Script(`${INDEX}
local cur = redis.call('HMGET', KEYS[1], 'd', 's', 'c', 'e', 't')
local now = tonumber(ARGV[4])
if not cur[1] or cur[1] ~= ARGV[2] or tonumber(cur[4]) <= now then return false end
local ttl = ARGV[5] ~= '' and ARGV[5] or cur[5]
local e = string.format('%.0f', now + tonumber(ttl))
redis.call('HSET', KEYS[1], 'd', ARGV[3], 'l', ARGV[4], 'e', e, 't', ttl)
redis.call('PEXPIRE', KEYS[1], tonumber(ttl) + tonumber(ARGV[6]))
index(cur[2], tonumber(e), now)
return {cur[2], cur[3], e, ttl}`);

const SLIDE = new Script(`${INDEX}
local cur = redis.call('HMGET', KEYS[1], 's', 'e', 't')
local now = tonumber(ARGV[2])
if not cur[2] or tonumber(cur[2]) <= now then return 0 end
local ttl = ARGV[3] ~= '' and ARGV[3] or cur[3]
local status = ARGV[4] ~= '' and ARGV[4] or cur[1]
local e = string.format('%.0f', now + tonumber(ttl))
redis.call('HSET', KEYS[1], 's', status, 'l', ARGV[2], 'e', e, 't', ttl)
redis.call('PEXPIRE', KEYS[1], tonumber(ttl) + tonumber(ARGV[5]))
index(status, tonumber(e), now)
return 1`);

const REMOVE_LIVE = new Script(`${INDEX}
local e = redis.call('HGET', KEYS[1], 'e')
redis.call('DEL', KEYS[1])
unindex()
if e and tonumber(e) > tonumber(ARGV[2]) then return 1 end
return 0`);

// KEYS = the five indexes; ARGV = now, limit, prefix of the session hashes. Removes sessions
// due by now (and index entries whose hash Redis already expired).
const SWEEP = new Script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  redis.call('DEL', ARGV[3] .. m)
  for i = 1, 5 do redis.call('ZREM', KEYS[i], m) end
end
return #due`);

// KEYS = [the index to walk (activity or one status), expires index]; ARGV = now,
// includeExpired (1/0), limit, offset, prefix of the session hashes. Returns 7 fields a session.
const LIST = new Script(`
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[3])
local skip = tonumber(ARGV[4])
local out = {}
local pos = 0
while want > 0 do
  local members = redis.call('ZRANGE', KEYS[1], pos, pos + 499)
  if #members == 0 then break end
  pos = pos + #members
  for _, m in ipairs(members) do
    if want == 0 then break end
    local h = redis.call('HMGET', ARGV[5] .. m, 'd', 's', 'c', 'l', 'e', 't')
    if h[1] and (ARGV[2] == '1' or tonumber(h[5]) > now) then
      if skip > 0 then skip = skip - 1
      else
        out[#out + 1] = m
        for i = 1, 6 do out[#out + 1] = h[i] end
        want = want - 1
      end
    end
  end
end
return out`);

// KEYS = the five indexes; ARGV = batch size, prefix. Removes one batch of sessions.
const CLEAR = new Script(`
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
for _, m in ipairs(members) do
  redis.call('DEL', ARGV[2] .. m)
  for i = 1, 5 do redis.call('ZREM', KEYS[i], m) end
end
return #members`);

const STATUS_ORDER: readonly SessionStatus[] = ['active', 'completed', 'abandoned'];

/**
 * Sessions on Redis, one hash per session (`<prefix>session:<key>`: data as JSON text,
 * status, times) with a Redis TTL of the session's TTL plus {@link REDIS_EXPIRY_GRACE_MS},
 * and sorted-set indexes for sweep, count and list. Every change is one Lua script, so it is
 * atomic: `update` is a compare-and-set on the data text, status and expiry move together
 * with their indexes. Needs one Redis server (standalone or a Sentinel-managed primary):
 * sweep and list reach keys by name inside a script, which Redis Cluster does not allow.
 */
export class RedisSessionBackend implements SessionBackend {
  readonly name = 'Redis';
  readonly sweepBatchSize = REDIS_SWEEP_BATCH;
  private readonly hashPrefix: string;
  private readonly expires: string;
  private readonly activity: string;
  private readonly statuses: string[];

  constructor(
    private readonly client: RedisCommander,
    prefix: string,
    private readonly onClose: () => Promise<void>,
  ) {
    this.hashPrefix = `${prefix}session:`;
    this.expires = `${prefix}sessions:expires`;
    this.activity = `${prefix}sessions:activity`;
    this.statuses = STATUS_ORDER.map((s) => `${prefix}sessions:status:${s}`);
  }

  private keys(key: string): string[] {
    return [this.hashPrefix + key, this.expires, this.activity, ...this.statuses];
  }

  private indexes(): string[] {
    return [this.expires, this.activity, ...this.statuses];
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
    const removed = Number(await SWEEP.run(this.client, this.indexes(), [now, limit, this.hashPrefix]));
    return { removed, done: removed < limit };
  }

  async list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): Promise<StoredSession[]> {
    const index = status === null ? this.activity : (this.statuses[STATUS_ORDER.indexOf(status)] as string);
    const flat = (await LIST.run(
      this.client,
      [index, this.expires],
      [now, includeExpired ? 1 : 0, limit, offset, this.hashPrefix],
    )) as string[];
    const out: StoredSession[] = [];
    for (let i = 0; i < flat.length; i += 7) out.push(toRow(flat[i] as string, flat.slice(i + 1, i + 7)));
    return out;
  }

  async count(now: number): Promise<number> {
    return Number(await this.client.sendCommand(['ZCOUNT', this.expires, `(${now}`, '+inf']));
  }

  async clear(): Promise<void> {
    while (Number(await CLEAR.run(this.client, this.indexes(), [1000, this.hashPrefix])) > 0);
  }

  close(): Promise<void> {
    return this.onClose();
  }
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
