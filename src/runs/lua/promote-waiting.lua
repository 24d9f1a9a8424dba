-- Starts waiting runs of a pipeline while its pipeline_run_limit allows. Idempotent.
-- ARGV: prefix, pipeline uuid, now (ms)
-- Returns: the ids of the runs it started
local prefix, pipeline, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local running = prefix .. ':pipeline:' .. pipeline .. ':running'
local waiting = prefix .. ':pipeline:' .. pipeline .. ':waiting'
local started = {}
while true do
  local id = redis.call('LINDEX', waiting, 0)
  if not id then break end
  local raw = redis.call('GET', prefix .. ':run:' .. id)
  if not raw then
    redis.call('LPOP', waiting)
  else
    local run = cjson.decode(raw)
    if run.state ~= 'waiting' then
      redis.call('LPOP', waiting)
    elseif run.pipelineRunLimit > 0 and redis.call('SCARD', running) >= run.pipelineRunLimit then
      break
    else
      redis.call('LPOP', waiting)
      run.state = 'running'
      run.startedAt = now
      redis.call('SET', prefix .. ':run:' .. id, cjson.encode(run))
      redis.call('SADD', running, id)
      started[#started + 1] = tonumber(id)
      redis.call('PUBLISH', prefix .. ':run-changes', id)
    end
  end
end
return started
