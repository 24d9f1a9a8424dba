-- Cancels a run: every unfinished block becomes 'cancelled', the run 'cancelled' (or the given
-- final state, 'failed' for a trigger's timeout_status). Idempotent.
-- ARGV: prefix, run id, reason, now (ms), final state ('cancelled' when empty)
-- Returns: JSON {cancelled: bool, pipelineUuid, blocks: [{blockUuid, blockRunId, attempt, attemptBase, generation,
--          jobName, namespace}]}: the blocks this call cancelled, in block run id order, each with the go
--          it was on (its attempt's Job, if it made one in this go, must be deleted; its queue job removed)
local prefix, id, reason, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local finalState = (ARGV[5] and ARGV[5] ~= '') and ARGV[5] or 'cancelled'
local runKey = prefix .. ':run:' .. id
local raw = redis.call('GET', runKey)
if not raw then return cjson.encode({ cancelled = false, pipelineUuid = '', blocks = {} }) end
local run = cjson.decode(raw)
if run.state == 'succeeded' or run.state == 'failed' or run.state == 'cancelled' then
  return cjson.encode({ cancelled = false, pipelineUuid = run.pipelineUuid, blocks = {} })
end
local wasWaiting = run.state == 'waiting'
run.state = finalState
run.reason = reason
run.finishedAt = now
redis.call('SET', runKey, cjson.encode(run))
local blocksKey = runKey .. ':blocks'
local fields = redis.call('HGETALL', blocksKey)
local cancelled = {}
local terminal = { succeeded = true, failed = true, upstream_failed = true, condition_failed = true, cancelled = true }
for i = 1, #fields, 2 do
  local b = cjson.decode(fields[i + 1])
  if not terminal[b.state] then
    cancelled[#cancelled + 1] = { blockUuid = b.blockUuid, blockRunId = b.blockRunId, attempt = b.attempt,
      attemptBase = b.attemptBase or 0, generation = b.retryGeneration or 0, jobName = b.jobName or '',
      namespace = b.namespace or '' }
    if b.attempt > 0 then redis.call('HDEL', prefix .. ':attempts:active', b.blockRunId .. ':' .. b.attempt) end
    b.state = 'cancelled'
    b.reason = 'Cancelled'
    b.message = reason
    b.finishedAt = now
    redis.call('HSET', blocksKey, b.blockUuid, cjson.encode(b))
  end
end
table.sort(cancelled, function(x, y) return x.blockRunId < y.blockRunId end)
-- advance-run.lua's indexes of the run, no longer needed.
redis.call('DEL', runKey .. ':progress', runKey .. ':downstream', runKey .. ':unmet', runKey .. ':ready', runKey .. ':settled', runKey .. ':unannounced')
redis.call('SREM', prefix .. ':runs:active', id)
redis.call('SREM', prefix .. ':pipeline:' .. run.pipelineUuid .. ':running', id)
if wasWaiting then redis.call('LREM', prefix .. ':pipeline:' .. run.pipelineUuid .. ':waiting', 0, id) end
redis.call('PUBLISH', prefix .. ':run-changes', id)
return cjson.encode({ cancelled = true, pipelineUuid = run.pipelineUuid, blocks = cancelled })
