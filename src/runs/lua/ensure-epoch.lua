-- Returns this life's installation epoch, creating it when Redis has none (a new installation, or
-- Redis lost its data): the time in ms on Redis's clock. The id counters of a new life start at the
-- epoch, above every id an earlier life handed out (docs/design.md "Identity"); counters that
-- already exist (an installation from before epochs) keep counting.
-- ARGV: prefix
-- Returns: the epoch (a string of digits)
local prefix = ARGV[1]
local key = prefix .. ':epoch'
local epoch = redis.call('GET', key)
if epoch then return epoch end
local t = redis.call('TIME')
epoch = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
redis.call('SET', key, epoch)
redis.call('SET', prefix .. ':seq:pipeline-run', epoch, 'NX')
redis.call('SET', prefix .. ':seq:block-run', epoch, 'NX')
return epoch
