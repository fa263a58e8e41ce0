import type { ThrottleBackend, ThrottleCounts } from '../backend.js';
import { REDIS_EXPIRY_GRACE_MS } from './backend.js';
import { type RedisCommander, Script } from './client.js';

// KEYS = [the key's hash]; ARGV = now, window, max, lock, grace. One atomic step: keep the
// failure times newer than the window, add this one, keep the latest max, lock when max.
const HIT = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'f', 'u')
local now = tonumber(ARGV[1])
local from = now - tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local times = {}
if cur[1] and cur[1] ~= '' then
  for t in string.gmatch(cur[1], '[^,]+') do
    if tonumber(t) > from then times[#times + 1] = tonumber(t) end
  end
end
times[#times + 1] = now
table.sort(times)
while #times > max do table.remove(times, 1) end
local u = nil
if cur[2] and cur[2] ~= '' then u = tonumber(cur[2]) end
if #times >= max and (u == nil or u <= now) then u = now + tonumber(ARGV[4]) end
local parts = {}
for i, t in ipairs(times) do parts[i] = string.format('%.0f', t) end
local f = table.concat(parts, ',')
local ustr = ''
if u then ustr = string.format('%.0f', u) end
redis.call('HSET', KEYS[1], 'f', f, 'u', ustr)
local keep = tonumber(ARGV[2])
if u and u - now > keep then keep = u - now end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', keep + tonumber(ARGV[5])))
return {f, ustr}`);

function counts(f: string | null | undefined, u: string | null | undefined): ThrottleCounts {
  return {
    times: f ? f.split(',').map(Number) : [],
    lockedUntil: u ? Number(u) : null,
  };
}

/**
 * Login throttle counts on Redis: one hash per key (`<prefix>throttle:<key>`: the latest
 * failure times and the lock), changed only by one Lua script, with a Redis TTL covering the
 * window and the lock (plus grace), so idle keys clean themselves up.
 */
export function redisThrottleCounts(
  client: RedisCommander,
  prefix: string,
  onClose: () => Promise<void>,
): ThrottleBackend {
  const hashOf = (key: string) => `${prefix}throttle:${key}`;
  return {
    name: 'Redis',
    hit: async (key, now, rules) => {
      const r = (await HIT.run(
        client,
        [hashOf(key)],
        [now, rules.windowMs, rules.max, rules.lockMs, REDIS_EXPIRY_GRACE_MS],
      )) as [string, string];
      return counts(r[0], r[1]);
    },
    read: async (key) => {
      const h = (await client.sendCommand(['HMGET', hashOf(key), 'f', 'u'])) as (string | null)[];
      return h[0] == null ? undefined : counts(h[0], h[1]);
    },
    reset: async (key) => void (await client.sendCommand(['DEL', hashOf(key)])),
    close: onClose,
  };
}
