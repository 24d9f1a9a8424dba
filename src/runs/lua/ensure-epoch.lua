-- Returns this life's installation epoch, creating it when Redis has none (a new installation,
-- Redis lost its data, or an operator deleted it after a restore): the time in ms on Redis's clock.
-- The id counters of a new life start at the epoch, above every id an earlier life handed out
-- (docs/design.md "Identity"); counters already beyond it keep counting.
-- ARGV: prefix
-- Returns: the epoch (a string of digits)
local prefix = ARGV[1]
local key = prefix .. ':epoch'
local epoch = redis.call('GET', key)
if epoch then return epoch end
local t = redis.call('TIME')
epoch = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
redis.call('SET', key, epoch)
for _, seq in ipairs({ prefix .. ':seq:pipeline-run', prefix .. ':seq:block-run' }) do
  if (tonumber(redis.call('GET', seq)) or 0) < tonumber(epoch) then redis.call('SET', seq, epoch) end
end
return epoch
