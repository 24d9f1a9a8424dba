-- Prepended to every run-state script (run-store.ts): the caller appends the epoch it belongs to
-- as the last ARGV, which is taken off here so that the script sees its own ARGV unchanged. When
-- Redis's epoch differs (Redis lost its data since the caller started), nothing is written.
local callerEpoch = table.remove(ARGV)
if redis.call('GET', ARGV[1] .. ':epoch') ~= callerEpoch then
  return redis.error_reply('KD_EPOCH_LOST the installation epoch is no longer ' .. callerEpoch)
end
