-- Takes one token from a bucket shared by every dispatcher. Time comes from the Redis server, so
-- dispatchers on hosts with skewed clocks still share one rate.
-- KEYS[1]: bucket hash (tokens, ts)
-- ARGV: refill rate (tokens per second), burst (bucket size)
-- Returns: 0 when a token was taken, else the milliseconds until one will be available
local key = KEYS[1]
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
-- A full bucket carries no information: let idle buckets expire.
redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
return wait
