-- Moves a running pipeline run forward: pending blocks whose upstreams all succeeded become
-- 'queued' (within block_run_limit), pending blocks with a failed upstream become
-- 'upstream_failed', else those with a 'condition_failed' upstream become 'condition_failed' (as
-- Mage's update_block_run_statuses), and the run finishes when every block is terminal: succeeded
-- when every block succeeded or is condition_failed. Idempotent.
--
-- One call costs what changed since the last one (the blocks that ended, their direct downstream
-- blocks, the blocks it queues), never the size of the run, thanks to these indexes of the run
-- (P:run:ID:<name>), built from the blocks hash by the run's first call (also for runs stored
-- before they existed) and deleted when the run finishes (cancel-run.lua deletes the same keys):
--   progress     hash: open (blocks not terminal), undone (terminal, neither succeeded nor
--                condition_failed), busy (queued, dispatching, running or retrying), failedBlock
--   downstream   hash: block → JSON list of the blocks that list it upstream
--   unmet        hash: block → how many of its upstream blocks have not succeeded
--   ready        zset (score: block run id) of pending blocks whose upstreams all succeeded, held
--                back by block_run_limit
--   settled      zset of blocks that ended and whose downstream blocks are not updated yet
--                (apply-attempt.lua adds the blocks whose attempts end them)
--   unannounced  zset of queued blocks not yet confirmed as added to the block-runs queue
-- ARGV: prefix, run id, now (ms), repair ('1': also report the queued blocks never confirmed as
--       enqueued, which a crash between this script and the queue add left behind)
-- Returns: JSON {enqueue: [{blockUuid, blockRunId, maxAttempts, retry, generation, attemptBase}], finished: state|'' ,
--          pipelineUuid}
local prefix, id, now, repair = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local runKey = prefix .. ':run:' .. id
local raw = redis.call('GET', runKey)
if not raw then return cjson.encode({ enqueue = {}, finished = '', pipelineUuid = '' }) end
local run = cjson.decode(raw)
if run.state ~= 'running' then
  return cjson.encode({ enqueue = {}, finished = '', pipelineUuid = run.pipelineUuid })
end
local blocksKey = runKey .. ':blocks'
local progressKey, downstreamKey, unmetKey = runKey .. ':progress', runKey .. ':downstream', runKey .. ':unmet'
local readyKey, settledKey, unannouncedKey = runKey .. ':ready', runKey .. ':settled', runKey .. ':unannounced'

local terminal = { succeeded = true, failed = true, upstream_failed = true, condition_failed = true, cancelled = true }
local done = { succeeded = true, condition_failed = true }
local failedLike = { failed = true, upstream_failed = true, cancelled = true }
local busyStates = { queued = true, dispatching = true, running = true, retrying = true }

local function getBlock(uuid)
  local braw = redis.call('HGET', blocksKey, uuid)
  return braw and cjson.decode(braw)
end

-- Set by every write of the run or a block, so that one call announces the run once (run-changes.ts).
local changed = false

local function putBlock(b)
  redis.call('HSET', blocksKey, b.blockUuid, cjson.encode(b))
  changed = true
end

-- Ends a block that will not run, with its reason; its downstream blocks are updated in turn.
local function settle(b, state, reason, message)
  if busyStates[b.state] then redis.call('HINCRBY', progressKey, 'busy', -1) end
  b.state, b.reason, b.message, b.finishedAt = state, reason, message, now
  putBlock(b)
  redis.call('HINCRBY', progressKey, 'open', -1)
  if not done[state] then redis.call('HINCRBY', progressKey, 'undone', 1) end
  redis.call('ZREM', readyKey, b.blockUuid)
  redis.call('ZREM', unannouncedKey, b.blockUuid)
  redis.call('ZADD', settledKey, b.blockRunId, b.blockUuid)
end

local function build()
  local fields = redis.call('HGETALL', blocksKey)
  local blocks, order = {}, {}
  for i = 1, #fields, 2 do
    local b = cjson.decode(fields[i + 1])
    blocks[b.blockUuid] = b
    order[#order + 1] = b
  end
  table.sort(order, function(a, b) return a.blockRunId < b.blockRunId end)
  local open, undone, busy, downstream, orphans = 0, 0, 0, {}, {}
  for _, b in ipairs(order) do
    if not terminal[b.state] then open = open + 1 elseif not done[b.state] then undone = undone + 1 end
    if busyStates[b.state] then busy = busy + 1 end
    local unmet, unknown = 0, false
    for _, u in ipairs(b.upstream) do
      if blocks[u] then
        downstream[u] = downstream[u] or {}
        table.insert(downstream[u], b.blockUuid)
        if blocks[u].state ~= 'succeeded' then unmet = unmet + 1 end
      else
        unknown = true
      end
    end
    if unmet > 0 then redis.call('HSET', unmetKey, b.blockUuid, unmet) end
    if b.state == 'pending' and unknown then orphans[#orphans + 1] = b
    elseif b.state == 'pending' and unmet == 0 then redis.call('ZADD', readyKey, b.blockRunId, b.blockUuid)
    elseif b.state == 'queued' then redis.call('ZADD', unannouncedKey, b.blockRunId, b.blockUuid) end
    -- Blocks that ended before the indexes existed: their downstream blocks are looked at once.
    -- Succeeded ones are already counted in `unmet`.
    if terminal[b.state] and b.state ~= 'succeeded' then redis.call('ZADD', settledKey, b.blockRunId, b.blockUuid) end
  end
  for u, list in pairs(downstream) do redis.call('HSET', downstreamKey, u, cjson.encode(list)) end
  redis.call('HSET', progressKey, 'open', open, 'undone', undone, 'busy', busy)
  -- An upstream the run does not have counts as failed.
  for _, b in ipairs(orphans) do settle(b, 'upstream_failed', 'UpstreamFailed', 'an upstream block did not succeed') end
end

if redis.call('EXISTS', progressKey) == 0 then build() end
local failedBlock = redis.call('HGET', progressKey, 'failedBlock')

-- Without allow_blocks_to_fail (Mage's default for trigger runs) a failed block stops the run:
-- blocks not yet dispatched are cancelled; those already running finish on their own. Happens
-- once per run, so reading every block here costs the run once, not each block.
local function stopRun(failed)
  failedBlock = failed
  redis.call('HSET', progressKey, 'failedBlock', failed)
  local fields = redis.call('HGETALL', blocksKey)
  for i = 1, #fields, 2 do
    local b = cjson.decode(fields[i + 1])
    if b.state == 'pending' or b.state == 'queued' then
      settle(b, 'cancelled', 'Cancelled', 'block ' .. failed .. ' failed and the trigger does not allow blocks to fail (settings.allow_blocks_to_fail)')
    end
  end
end

-- Costs the block's upstream blocks, once: the block is settled right after.
local function anyUpstreamFailed(b)
  for _, u in ipairs(b.upstream) do
    local up = getBlock(u)
    if not up or failedLike[up.state] then return true end
  end
  return false
end

-- The block `uuid` ended: update its direct downstream blocks (settling one queues it here in turn).
local function propagate(uuid)
  local x = getBlock(uuid)
  if not x then return end
  if x.state == 'failed' and run.stopOnBlockFailure and not failedBlock then return stopRun(uuid) end
  local list = redis.call('HGET', downstreamKey, uuid)
  if not list then return end
  for _, d in ipairs(cjson.decode(list)) do
    local b = getBlock(d)
    if b and b.state == 'pending' then
      if failedLike[x.state] or (x.state == 'condition_failed' and anyUpstreamFailed(b)) then
        settle(b, 'upstream_failed', 'UpstreamFailed', 'an upstream block did not succeed')
      elseif x.state == 'condition_failed' then
        settle(b, 'condition_failed', 'UpstreamConditionFailed', 'a condition of an upstream block failed, so this block does not run')
      elseif x.state == 'succeeded' and redis.call('HINCRBY', unmetKey, d, -1) <= 0 then
        redis.call('ZADD', readyKey, b.blockRunId, d)
      end
    end
  end
end

-- Lowest block run id first: the topological order, so a failed upstream is seen before the
-- condition_failed one of the same join, and the first failed block is the one named.
while true do
  local popped = redis.call('ZPOPMIN', settledKey)
  if #popped == 0 then break end
  propagate(popped[1])
end

-- A retried block (retry-run.lua) has a queue job per go: its generation names it, and its
-- attempts count on from its attempt base.
local function announce(b)
  return { blockUuid = b.blockUuid, blockRunId = b.blockRunId, maxAttempts = b.maxAttempts, retry = b.retry,
    generation = b.retryGeneration or 0, attemptBase = b.attemptBase or 0 }
end

local enqueue = {}
local busy = tonumber(redis.call('HGET', progressKey, 'busy'))
while run.blockRunLimit == 0 or busy < run.blockRunLimit do
  local top = redis.call('ZPOPMIN', readyKey)
  if #top == 0 then break end
  local b = getBlock(top[1])
  if b and b.state == 'pending' then
    b.state = 'queued'
    b.queuedAt = now
    putBlock(b)
    busy = busy + 1
    redis.call('HINCRBY', progressKey, 'busy', 1)
    redis.call('ZADD', unannouncedKey, b.blockRunId, b.blockUuid)
    enqueue[#enqueue + 1] = announce(b)
  end
end

-- Enqueueing is idempotent (job id = block run id and retry generation): a block announced twice is added once.
if repair then
  local queuedHere = {}
  for _, e in ipairs(enqueue) do queuedHere[e.blockUuid] = true end
  for _, uuid in ipairs(redis.call('ZRANGE', unannouncedKey, 0, -1)) do
    local b = getBlock(uuid)
    if b and b.state == 'queued' then
      if not queuedHere[uuid] then enqueue[#enqueue + 1] = announce(b) end
    else
      redis.call('ZREM', unannouncedKey, uuid)
    end
  end
end

local finished = ''
local counts = redis.call('HMGET', progressKey, 'open', 'undone')
if tonumber(counts[1]) <= 0 then
  local allSucceeded = tonumber(counts[2]) == 0
  run.state = allSucceeded and 'succeeded' or 'failed'
  if failedBlock then run.reason = 'block ' .. failedBlock .. ' failed (settings.allow_blocks_to_fail is off)'
  elseif not allSucceeded then run.reason = 'one or more blocks did not succeed' end
  run.finishedAt = now
  finished = run.state
  redis.call('SET', runKey, cjson.encode(run))
  changed = true
  redis.call('SREM', prefix .. ':runs:active', id)
  redis.call('SREM', prefix .. ':pipeline:' .. run.pipelineUuid .. ':running', id)
  redis.call('DEL', progressKey, downstreamKey, unmetKey, readyKey, settledKey, unannouncedKey)
end
if changed then redis.call('PUBLISH', prefix .. ':run-changes', id) end
return cjson.encode({ enqueue = enqueue, finished = finished, pipelineUuid = run.pipelineUuid })
