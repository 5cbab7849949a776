/*
 * The Redis side of the two algorithms: the same integer arithmetic as gcra.ts and
 * sliding-window.ts, run atomically by Redis, so one round trip counts a request for every gateway
 * at once. KEYS[1] is the key; ARGV = limit, windowMs, burst, now. An empty `now` means Redis's own
 * clock (TIME), so gateways whose clocks disagree still share one timeline; tests pass their own.
 * Both answer { allowed (1|0), remaining, resetMs, retryAfterMs } and set an expiry at which the
 * key counts nothing any more, so Redis forgets idle keys by itself.
 */

const NOW = `
local now = tonumber(ARGV[4])
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

/** GCRA; the value is `tatMs:fraction` (see gcra.ts). */
export const GCRA_SCRIPT = `
local units = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3]) * interval
${NOW}
local ahead = 0
local state = redis.call('GET', KEYS[1])
if state then
  local tat, fraction = string.match(state, '^(%d+):(%d+)$')
  tat = tonumber(tat)
  if tat ~= nil and tat >= now then ahead = (tat - now) * units + tonumber(fraction) end
end
local nxt = ahead + interval
if nxt > capacity then
  return {0, 0, math.ceil(ahead / units), math.ceil((nxt - capacity) / units)}
end
local fraction = nxt % units
redis.call('SET', KEYS[1], string.format('%d:%d', now + (nxt - fraction) / units, fraction), 'PX', math.ceil(nxt / units) + 1)
return {1, math.floor((capacity - nxt) / interval), math.ceil(nxt / units), 0}
`;

/** Sliding window counter; the value is `windowStart:current:previous` (see sliding-window.ts). */
export const SLIDING_WINDOW_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
${NOW}
local start = now - now % window
local current, previous = 0, 0
local state = redis.call('GET', KEYS[1])
if state then
  local s, c, p = string.match(state, '^(%d+):(%d+):(%d+)$')
  s = tonumber(s)
  if s == start then
    current = tonumber(c)
    previous = tonumber(p)
  elseif s ~= nil and start - s == window then
    previous = tonumber(c)
  end
end
local elapsed = now - start
local counted = previous * (window - elapsed) + current * window
if counted + window <= limit * window then
  redis.call('SET', KEYS[1], string.format('%d:%d:%d', start, current + 1, previous), 'PX', start + 2 * window - now)
  return {1, math.floor((limit * window - counted - window) / window), 2 * window - elapsed, 0}
end
local reset = window - elapsed
if current > 0 then reset = 2 * window - elapsed end
local retry
if current < limit then
  retry = window - math.floor(((limit - current - 1) * window) / previous) - elapsed
else
  retry = 2 * window - elapsed - math.floor(((limit - 1) * window) / current)
end
return {0, 0, reset, retry}
`;
