-- Extends the shared Job-creation pause to at least ARGV[1] ms from now; never shortens it.
-- KEYS[1]: pause key (exists while the pause lasts)
-- Returns: the pause's remaining milliseconds
local key, ms = KEYS[1], tonumber(ARGV[1])
local ttl = redis.call('PTTL', key)
if ttl < ms then
  redis.call('SET', key, '1', 'PX', ms)
  return ms
end
return ttl
