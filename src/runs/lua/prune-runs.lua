-- Deletes finished runs that finished at or before a cutoff, with everything they own: the run
-- record, its blocks hash and project snapshot, its attempts' outcomes, its idempotency key, and
-- its entry in the index P:runs:all, all in one step, so the index never names a deleted run.
-- Index entries whose record is already gone are dropped too. Idempotent.
-- ARGV: prefix, cutoff (ms), offset into the index's entries created at or before the cutoff,
--       batch size, dry run ('1': count only)
-- Returns: JSON {scanned, kept, deleted: [run ids]} (kept: runs not finished by the cutoff, which
--          the next batch skips with offset + kept)
local prefix, cutoff, offset, batch, dry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local index = prefix .. ':runs:all'
-- A run finishes after it was created, so only runs created by the cutoff can qualify.
local ids = redis.call('ZRANGEBYSCORE', index, '-inf', cutoff, 'LIMIT', offset, batch)
local finished = { succeeded = true, failed = true, cancelled = true }
local deleted, kept = {}, 0
for _, id in ipairs(ids) do
  local runKey = prefix .. ':run:' .. id
  local raw = redis.call('GET', runKey)
  local run = raw and cjson.decode(raw)
  if run and not (finished[run.state] and run.finishedAt and run.finishedAt <= cutoff) then
    kept = kept + 1
  else
    deleted[#deleted + 1] = tonumber(id)
    if not dry then
      if run then
        for _, braw in ipairs(redis.call('HVALS', runKey .. ':blocks')) do
          local b = cjson.decode(braw)
          for attempt = 1, (b.attempt or 0) do redis.call('DEL', prefix .. ':outcome:' .. b.blockRunId .. ':' .. attempt) end
        end
        if type(run.idempotencyKey) == 'string' and run.idempotencyKey ~= '' then
          local keyKey = prefix .. ':run-key:' .. run.idempotencyKey
          if redis.call('GET', keyKey) == id then redis.call('DEL', keyKey) end
        end
      end
      redis.call('DEL', runKey, runKey .. ':blocks', runKey .. ':project')
      redis.call('ZREM', index, id)
      redis.call('PUBLISH', prefix .. ':run-changes', id)
    end
  end
end
-- In a dry run nothing moves: the next batch skips what this one counted.
if dry then kept = #ids end
return cjson.encode({ scanned = #ids, kept = kept, deleted = deleted })
