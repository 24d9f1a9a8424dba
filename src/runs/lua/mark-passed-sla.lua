-- Marks a run as having passed its trigger's SLA (Mage's passed_sla). Idempotent.
-- ARGV: prefix, run id
-- Returns: 1 when this call set the mark, 0 when it was set already or the run is gone
local runKey = ARGV[1] .. ':run:' .. ARGV[2]
local raw = redis.call('GET', runKey)
if not raw then return 0 end
local run = cjson.decode(raw)
if run.passedSla then return 0 end
run.passedSla = true
redis.call('SET', runKey, cjson.encode(run))
redis.call('PUBLISH', ARGV[1] .. ':run-changes', ARGV[2])
return 1
