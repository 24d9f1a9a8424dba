-- Records an attempt's outcome, first writer wins, and announces it.
-- ARGV: prefix, attempt id '{blockRunId}:{attempt}', outcome JSON (carrying its epoch), ttl (s), message
-- Returns: 1 when stored, 0 when an outcome was recorded already
local prefix, id, outcome, ttl, message = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local stored = redis.call('SET', prefix .. ':outcome:' .. id, outcome, 'EX', ttl, 'NX')
if not stored then return 0 end
redis.call('PUBLISH', prefix .. ':outcomes', message)
return 1
