-- Retries a finished run's blocks that are not done (Mage's "retry incomplete blocks"), in place:
-- every block neither succeeded nor condition_failed goes back to 'pending' with its attempts
-- history, and the run to 'running' (or 'waiting' when its pipeline_run_limit is full:
-- lib/start-or-wait.lua, as for a new run). The next advance-run.lua rebuilds the run's indexes
-- from the blocks hash and queues what is ready. Attempt numbers keep increasing: a block's attempts in this go
-- count on from its `attemptBase` (its attempt number now), each go with the same number of
-- attempts (`maxAttempts`), and its queue job is the one of its `retryGeneration`.
-- ARGV: prefix, run id, now (ms)
-- Returns: JSON {result: 'retried'|'not_finished'|'nothing_to_retry'|'missing', state, pipelineUuid,
--          blocks: [uuids reset]} (state: the run's state after the call)
local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local runKey = prefix .. ':run:' .. id
local raw = redis.call('GET', runKey)
if not raw then return cjson.encode({ result = 'missing', state = '', pipelineUuid = '', blocks = {} }) end
local run = cjson.decode(raw)
local function refuse(result)
  return cjson.encode({ result = result, state = run.state, pipelineUuid = run.pipelineUuid, blocks = {} })
end
if run.state == 'waiting' or run.state == 'running' then return refuse('not_finished') end
if run.state ~= 'failed' and run.state ~= 'cancelled' then return refuse('nothing_to_retry') end

local blocksKey = runKey .. ':blocks'
local done = { succeeded = true, condition_failed = true }
local fields = redis.call('HGETALL', blocksKey)
local reset = {}
for i = 1, #fields, 2 do
  local b = cjson.decode(fields[i + 1])
  if not done[b.state] then
    b.state = 'pending'
    b.attemptBase = b.attempt
    b.retryGeneration = (b.retryGeneration or 0) + 1
    -- The fields of the current attempt; the attempts list keeps every earlier one.
    b.reason, b.message, b.exitCode, b.failedPods, b.logTail, b.events = nil, nil, nil, nil, nil, nil
    b.queuedAt, b.dispatchedAt, b.startedAt, b.finishedAt, b.jobName, b.namespace, b.cluster =
      nil, nil, nil, nil, nil, nil, nil
    redis.call('HSET', blocksKey, b.blockUuid, cjson.encode(b))
    reset[#reset + 1] = { id = b.blockRunId, uuid = b.blockUuid }
  end
end
if #reset == 0 then return refuse('nothing_to_retry') end
table.sort(reset, function(x, y) return x.id < y.id end)
local uuids = {}
for i, entry in ipairs(reset) do uuids[i] = entry.uuid end

-- advance-run.lua's indexes (the `failedBlock` that stopped the run among them) are rebuilt from
-- the blocks hash; they went when the run finished, and must not survive in any case.
redis.call('DEL', runKey .. ':progress', runKey .. ':downstream', runKey .. ':unmet', runKey .. ':ready',
  runKey .. ':settled', runKey .. ':unannounced')
run.reason, run.finishedAt = nil, nil
run.retries = (run.retries or 0) + 1
run.retriedAt = now
-- Started again at once, it keeps its first startedAt (retriedAt says when this go began).
startOrWait(prefix, run, id)
redis.call('SET', runKey, cjson.encode(run))
redis.call('SADD', prefix .. ':runs:active', id)
redis.call('PUBLISH', prefix .. ':run-changes', id)
return cjson.encode({ result = 'retried', state = run.state, pipelineUuid = run.pipelineUuid, blocks = uuids })
