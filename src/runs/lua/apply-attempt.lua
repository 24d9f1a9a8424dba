-- Applies the watcher's outcome of attempt N to its block run. Idempotent: a second call for the
-- same attempt, or a call for an attempt that is no longer current, changes nothing.
-- ARGV: prefix, run id, block uuid, attempt, new state ('succeeded'|'condition_failed'|'failed'|'retrying'|'cancelled'),
--       outcome JSON, now (ms)
-- Returns: 1 when applied, 0 otherwise
local prefix, id, block, attempt, state, now =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[7])
local outcome = cjson.decode(ARGV[6])
local blocksKey = prefix .. ':run:' .. id .. ':blocks'
local braw = redis.call('HGET', blocksKey, block)
if not braw then return 0 end
local b = cjson.decode(braw)
local terminal = { succeeded = true, failed = true, upstream_failed = true, condition_failed = true, cancelled = true }
if terminal[b.state] or b.state == 'retrying' or b.attempt ~= attempt then return 0 end
-- An attempt of the go before the block's latest retry (retry-run.lua) is never applied to this one.
if attempt <= (b.attemptBase or 0) then return 0 end
local wasBusy = b.state == 'queued' or b.state == 'dispatching' or b.state == 'running'
b.state = state
b.reason = outcome.reason
b.message = outcome.message
b.exitCode = outcome.exitCode
b.failedPods = outcome.failedPods
b.logTail = outcome.logTail
b.events = outcome.events
if terminal[state] then b.finishedAt = now end
local attempts = b.attempts
local found = false
for _, a in ipairs(attempts) do
  if a.attempt == attempt then
    a.outcome = outcome
    a.finishedAt = outcome.finishedAt
    found = true
  end
end
if not found then
  attempts[#attempts + 1] = { attempt = attempt, jobName = b.jobName, namespace = b.namespace, cluster = b.cluster,
    finishedAt = outcome.finishedAt, outcome = outcome }
end
b.attempts = attempts
redis.call('HSET', blocksKey, block, cjson.encode(b))
redis.call('HDEL', prefix .. ':attempts:active', b.blockRunId .. ':' .. attempt)
-- The block ended: count it, and leave its downstream blocks to the next advance-run.lua (whose
-- indexes these are; a run without them yet is counted when they are built).
local runKey = prefix .. ':run:' .. id
if terminal[state] and redis.call('EXISTS', runKey .. ':progress') == 1 then
  redis.call('HINCRBY', runKey .. ':progress', 'open', -1)
  if wasBusy then redis.call('HINCRBY', runKey .. ':progress', 'busy', -1) end
  if state ~= 'succeeded' and state ~= 'condition_failed' then redis.call('HINCRBY', runKey .. ':progress', 'undone', 1) end
  redis.call('ZADD', runKey .. ':settled', b.blockRunId, block)
end
redis.call('PUBLISH', prefix .. ':run-changes', id)
return 1
