-- Moves a running pipeline run forward: pending blocks whose upstreams all succeeded become
-- 'queued' (within block_run_limit), pending blocks with a failed upstream become
-- 'upstream_failed', else those with a 'condition_failed' upstream become 'condition_failed' (as
-- Mage's update_block_run_statuses), and the run finishes when every block is terminal: succeeded
-- when every block succeeded or is condition_failed. Idempotent.
-- ARGV: prefix, run id, now (ms)
-- Returns: JSON {enqueue: [{blockUuid, blockRunId, maxAttempts, retry}], finished: state|'' , pipelineUuid}
local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local runKey = prefix .. ':run:' .. id
local raw = redis.call('GET', runKey)
if not raw then return cjson.encode({ enqueue = {}, finished = '', pipelineUuid = '' }) end
local run = cjson.decode(raw)
if run.state ~= 'running' then
  return cjson.encode({ enqueue = {}, finished = '', pipelineUuid = run.pipelineUuid })
end
local blocksKey = runKey .. ':blocks'
local blocks, order = {}, {}
local fields = redis.call('HGETALL', blocksKey)
for i = 1, #fields, 2 do
  local b = cjson.decode(fields[i + 1])
  blocks[b.blockUuid] = b
  order[#order + 1] = b
end
table.sort(order, function(a, b) return a.blockRunId < b.blockRunId end)

local terminal = { succeeded = true, failed = true, upstream_failed = true, condition_failed = true, cancelled = true }
local done = { succeeded = true, condition_failed = true }
local failedLike = { failed = true, upstream_failed = true, cancelled = true }
local busy = { queued = true, dispatching = true, running = true, retrying = true }
local inFlight = 0
for _, b in ipairs(order) do if busy[b.state] then inFlight = inFlight + 1 end end

-- Without allow_blocks_to_fail (Mage's default for trigger runs) a failed block stops the run:
-- blocks not yet dispatched are cancelled; those already running finish on their own.
local failedBlock = nil
if run.stopOnBlockFailure then
  for _, b in ipairs(order) do if b.state == 'failed' and not failedBlock then failedBlock = b.blockUuid end end
end

-- Ends a block that will not run, with its reason.
local function settle(b, state, reason, message)
  b.state, b.reason, b.message, b.finishedAt = state, reason, message, now
  redis.call('HSET', blocksKey, b.blockUuid, cjson.encode(b))
end

local enqueue = {}
-- Block run ids follow the topological order, so one pass settles every pending block.
for _, b in ipairs(order) do
  if failedBlock and (b.state == 'pending' or b.state == 'queued') then
    settle(b, 'cancelled', 'Cancelled', 'block ' .. failedBlock .. ' failed and the trigger does not allow blocks to fail (settings.allow_blocks_to_fail)')
  elseif b.state == 'pending' then
    local anyFailed, anyConditionFailed, allSucceeded = false, false, true
    for _, u in ipairs(b.upstream) do
      local up = blocks[u]
      local state = up and up.state or 'failed'
      if failedLike[state] then anyFailed = true end
      if state == 'condition_failed' then anyConditionFailed = true end
      if state ~= 'succeeded' then allSucceeded = false end
    end
    if anyFailed then
      settle(b, 'upstream_failed', 'UpstreamFailed', 'an upstream block did not succeed')
    elseif anyConditionFailed then
      settle(b, 'condition_failed', 'UpstreamConditionFailed', 'a condition of an upstream block failed, so this block does not run')
    elseif allSucceeded and (run.blockRunLimit == 0 or inFlight < run.blockRunLimit) then
      b.state = 'queued'
      b.queuedAt = now
      inFlight = inFlight + 1
      redis.call('HSET', blocksKey, b.blockUuid, cjson.encode(b))
      enqueue[#enqueue + 1] = { blockUuid = b.blockUuid, blockRunId = b.blockRunId, maxAttempts = b.maxAttempts, retry = b.retry }
    end
  elseif b.state == 'queued' then
    -- Re-announce queued blocks: enqueueing is idempotent (job id = block run id), and this is
    -- how a crash between this script and the queue add is repaired.
    enqueue[#enqueue + 1] = { blockUuid = b.blockUuid, blockRunId = b.blockRunId, maxAttempts = b.maxAttempts, retry = b.retry }
  end
end

local allTerminal, allSucceeded = true, true
for _, b in ipairs(order) do
  if not terminal[b.state] then allTerminal = false end
  if not done[b.state] then allSucceeded = false end
end
local finished = ''
if allTerminal then
  run.state = allSucceeded and 'succeeded' or 'failed'
  if failedBlock then run.reason = 'block ' .. failedBlock .. ' failed (settings.allow_blocks_to_fail is off)'
  elseif not allSucceeded then run.reason = 'one or more blocks did not succeed' end
  run.finishedAt = now
  finished = run.state
  redis.call('SET', runKey, cjson.encode(run))
  redis.call('SREM', prefix .. ':runs:active', id)
  redis.call('SREM', prefix .. ':pipeline:' .. run.pipelineUuid .. ':running', id)
end
return cjson.encode({ enqueue = enqueue, finished = finished, pipelineUuid = run.pipelineUuid })
