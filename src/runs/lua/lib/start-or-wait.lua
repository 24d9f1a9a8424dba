-- Prepended to the scripts that start a run (run-store.ts, SCRIPT_LIBRARIES): starts `run` (id
-- `id`) when its pipeline's pipeline_run_limit allows, else queues it behind the pipeline's waiting
-- runs (promote-waiting.lua starts them). Returns whether it started.
local function startOrWait(prefix, run, id)
  local running = prefix .. ':pipeline:' .. run.pipelineUuid .. ':running'
  if run.pipelineRunLimit > 0 and redis.call('SCARD', running) >= run.pipelineRunLimit then
    run.state = 'waiting'
    redis.call('RPUSH', prefix .. ':pipeline:' .. run.pipelineUuid .. ':waiting', id)
    return false
  end
  run.state = 'running'
  redis.call('SADD', running, id)
  return true
end
