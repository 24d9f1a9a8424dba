-- Creates a pipeline run and its block runs atomically, allocating ids from the counters.
-- ARGV: prefix, run JSON (without id/state), blocks JSON [{blockUuid, upstream, maxAttempts, retry}] in
--       topological order, project snapshot JSON, now (ms), idempotency key ('' for none)
-- The run's executionPartition may name the run: its '{pipeline_run_id}' becomes the allocated id.
-- Returns: the run id (an existing one when the idempotency key was seen before)
local prefix, now, key = ARGV[1], tonumber(ARGV[5]), ARGV[6]
if key ~= '' then
  local existing = redis.call('GET', prefix .. ':run-key:' .. key)
  if existing then return tonumber(existing) end
end
local run = cjson.decode(ARGV[2])
local blocks = cjson.decode(ARGV[3])
local id = redis.call('INCR', prefix .. ':seq:pipeline-run')
local last = redis.call('INCRBY', prefix .. ':seq:block-run', #blocks)
local first = last - #blocks + 1
run.id = id
if run.executionPartition then run.executionPartition = (string.gsub(run.executionPartition, '{pipeline_run_id}', tostring(id))) end
run.createdAt = now
if startOrWait(prefix, run, id) then run.startedAt = now end
redis.call('SET', prefix .. ':run:' .. id, cjson.encode(run))
redis.call('SET', prefix .. ':run:' .. id .. ':project', ARGV[4])
for i, b in ipairs(blocks) do
  local record = { blockUuid = b.blockUuid, blockRunId = first + i - 1, upstream = b.upstream, state = 'pending',
    attempt = 0, maxAttempts = b.maxAttempts, retry = b.retry, attempts = {} }
  redis.call('HSET', prefix .. ':run:' .. id .. ':blocks', b.blockUuid, cjson.encode(record))
end
redis.call('SADD', prefix .. ':runs:active', id)
redis.call('ZADD', prefix .. ':runs:all', now, id)
redis.call('PUBLISH', prefix .. ':run-changes', id)
if key ~= '' then redis.call('SET', prefix .. ':run-key:' .. key, id, 'EX', 604800) end
return id
