/*
 * The Redis side of the login throttle, the same rules as memory-login-throttle.ts run atomically
 * by Redis, so every identity process sharing it counts one set of failures.
 * KEYS = identifier hash, identifier pending set, address hash, address pending set. A hash holds
 * `f` (failures in the window; the hash expires with the window) and `l` (locked until, ms).
 * A pending set holds the attempts still being verified, scored by their start: they count as
 * failures until they settle, and an attempt whose process died is forgotten after PENDING_TTL.
 * An empty `now` means Redis's own clock (TIME), so processes whose clocks disagree share one.
 */

const NOW = (index: number) => `
local now = tonumber(ARGV[${index}])
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

/** ARGV = maxPerIdentifier, maxPerIp, attempt id, pendingTtlMs, now. Answers 0 (counted) or the wait in ms. */
export const BEGIN_SCRIPT = `
${NOW(5)}
local pendingTtl = tonumber(ARGV[4])
local function blocked(hash, pending, max)
  redis.call('ZREMRANGEBYSCORE', pending, '-inf', now - pendingTtl)
  local locked = tonumber(redis.call('HGET', hash, 'l') or '0')
  if locked > now then return locked - now end
  local failures = tonumber(redis.call('HGET', hash, 'f') or '0')
  -- Pending attempts settle within a password hash: the caller may try again in a second.
  if failures + redis.call('ZCARD', pending) >= max then return 1000 end
  return 0
end
local wait = math.max(blocked(KEYS[1], KEYS[2], tonumber(ARGV[1])), blocked(KEYS[3], KEYS[4], tonumber(ARGV[2])))
if wait > 0 then return wait end
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('PEXPIRE', KEYS[2], pendingTtl)
redis.call('ZADD', KEYS[4], now, ARGV[3])
redis.call('PEXPIRE', KEYS[4], pendingTtl)
return 0
`;

/** ARGV = 'ok' | 'fail', attempt id, maxPerIdentifier, maxPerIp, windowMs, lockoutMs, now. */
export const SETTLE_SCRIPT = `
${NOW(7)}
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
if ARGV[1] == 'ok' then
  redis.call('HDEL', KEYS[1], 'f')
  return 0
end
local windowMs = tonumber(ARGV[5])
local lockoutMs = tonumber(ARGV[6])
local function fail(hash, max)
  local failures = redis.call('HINCRBY', hash, 'f', 1)
  if failures == 1 then redis.call('PEXPIRE', hash, windowMs) end
  if failures >= max then
    redis.call('HSET', hash, 'l', now + lockoutMs)
    if redis.call('PTTL', hash) < lockoutMs then redis.call('PEXPIRE', hash, lockoutMs) end
  end
end
fail(KEYS[1], tonumber(ARGV[3]))
fail(KEYS[3], tonumber(ARGV[4]))
return 1
`;
