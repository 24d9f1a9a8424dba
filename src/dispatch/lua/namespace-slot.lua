-- Takes (or keeps) one of a namespace's active-Job slots for one attempt. A slot is a lease: its
-- holder refreshes it while the attempt runs, so slots of dispatchers that died expire by themselves.
-- KEYS[1]: sorted set of the namespace's slots (member: attempt id, score: lease expiry in ms)
-- ARGV: holder (blockRunId:attempt), max slots, lease (ms)
-- Returns: 1 when the holder has a slot, 0 when the namespace is full
local key, holder, max, lease = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZSCORE', key, holder) or redis.call('ZCARD', key) < max then
  redis.call('ZADD', key, now + lease, holder)
  redis.call('PEXPIRE', key, lease)
  return 1
end
return 0
