-- A dispatcher takes attempt N of a block run. Refused when the run or the block is finished, or
-- when the queue job is of an earlier go of the block than its latest retry (retry-run.lua).
-- ARGV: prefix, run id, block uuid, attempt, now (ms), the queue job's retry generation
-- Returns: 'ok' | 'cancelled' | 'terminal' | 'missing' | 'superseded'
local prefix, id, block, attempt, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local generation = tonumber(ARGV[6]) or 0
local raw = redis.call('GET', prefix .. ':run:' .. id)
if not raw then return 'missing' end
local run = cjson.decode(raw)
if run.state == 'cancelled' then return 'cancelled' end
local blocksKey = prefix .. ':run:' .. id .. ':blocks'
local braw = redis.call('HGET', blocksKey, block)
if not braw then return 'missing' end
local b = cjson.decode(braw)
if generation ~= (b.retryGeneration or 0) then return 'superseded' end
if b.state == 'succeeded' or b.state == 'failed' or b.state == 'upstream_failed' or b.state == 'condition_failed' or b.state == 'cancelled' then
  return 'terminal'
end
-- A re-run of the same attempt (after a dispatcher died) keeps the Job it already has.
if b.attempt == attempt and b.state == 'running' then return 'ok' end
if b.attempt ~= attempt then
  b.jobName = nil
  b.namespace = nil
  b.cluster = nil
end
b.state = 'dispatching'
b.attempt = attempt
b.dispatchedAt = now
redis.call('HSET', blocksKey, block, cjson.encode(b))
redis.call('PUBLISH', prefix .. ':run-changes', id)
return 'ok'
