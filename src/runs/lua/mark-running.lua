-- Attempt N's Job exists: remember where, and list the attempt as active for the watcher's sweep.
-- ARGV: prefix, run id, block uuid, attempt, job name, namespace, now (ms), cluster name ('' for none)
-- Returns: 1 when recorded, 0 when the block is finished or on another attempt
local prefix, id, block, attempt, jobName, namespace, now =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7])
local cluster = (ARGV[8] and ARGV[8] ~= '') and ARGV[8] or nil
local blocksKey = prefix .. ':run:' .. id .. ':blocks'
local braw = redis.call('HGET', blocksKey, block)
if not braw then return 0 end
local b = cjson.decode(braw)
if b.attempt ~= attempt or (b.state ~= 'dispatching' and b.state ~= 'running') then return 0 end
b.state = 'running'
b.jobName = jobName
b.namespace = namespace
b.cluster = cluster
if not b.startedAt then b.startedAt = now end
local attempts = b.attempts
local found = false
for _, a in ipairs(attempts) do
  if a.attempt == attempt then
    found = true
    a.cluster = a.cluster or cluster
  end
end
if not found then
  attempts[#attempts + 1] = { attempt = attempt, jobName = jobName, namespace = namespace, cluster = cluster, startedAt = now }
end
b.attempts = attempts
redis.call('HSET', blocksKey, block, cjson.encode(b))
redis.call('HSET', prefix .. ':attempts:active', b.blockRunId .. ':' .. attempt, cjson.encode({
  runId = tonumber(id), blockUuid = block, blockRunId = b.blockRunId, attempt = attempt,
  namespace = namespace, jobName = jobName, since = now }))
redis.call('PUBLISH', prefix .. ':run-changes', id)
return 1
