--[[
  Applies a batch of one customer's events, atomically, each at most once by event id.
  Recording an id and applying its event happen in this one script: a crash can never
  leave one without the other. The client (src/state/redis/ops.ts) turns each event into
  ops with the rule model already applied, so this script knows nothing of the rules.

  KEYS[1]  the customer's state hash            nbo:{c-42}
  KEYS[2]  the customer's seen event ids (zset)  nbo:{c-42}:seen   member = id, score = forget-after ms
  ARGV[1]  now (ms)
  ARGV[2]  dedupe horizon (ms)
  ARGV[3]  state TTL (ms): the customer is forgotten this long after its last write
  ARGV[4]  JSON batch: [[eventId, op, op, ...], ...]; eventId "" = no dedupe (recorded offers)
           ops:
             ["p", key, t, json]                    profile key ("" json = remove); older t never wins
             ["h", t, householdId]                  household link ("" = none); older t never wins
             ["b", field, fn, idx, value, firstIdx] fold into packed buckets, drop buckets < firstIdx
             ["l", field, t, json]                  last: keep the value of the newest t
             ["d", field, key, t, start, max]        distinct: key last seen at t
             ["r", offerId, outcome, decisionId, t]  offer response (outcome index 2..5)
             ["f", offerId, decisionId, segment, t]  offered by a decision
  Returns  JSON [[status, extras...], ...] per event: status 1 applied, 0 duplicate;
           extras ["r", offerId, impressions, accepted, segment] and ["h", householdId]
           (the current link, also for a duplicate, so membership can be repaired).
           -1 when ARGV[4] is not a batch, -2 when stored state cannot be read.
]]
--@include "format"
--@include "packed-buckets"
--@include "offer-history"

local state, seen = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local ok, batch = pcall(cjson.decode, ARGV[4])
if not ok or type(batch) ~= 'table' then return -1 end

redis.call('ZREMRANGEBYSCORE', seen, '-inf', now)

local function stamped(raw)
  if not raw then return nil, nil end
  local t, rest = string.match(raw, '^([^|]*)|(.*)$')
  return tonumber(t), rest
end

local results = {}
for i, ev in ipairs(batch) do
  local id = ev[1]
  local dup = false
  if id ~= '' then
    local until_ = redis.call('ZSCORE', seen, id)
    if until_ and tonumber(until_) > now then
      dup = true
    else
      redis.call('ZADD', seen, now + horizon, id)
    end
  end
  local res = { dup and 0 or 1 }
  for j = 2, #ev do
    local op = ev[j]
    local kind = op[1]
    if kind == 'h' then
      if not dup then
        local cur_t = stamped(redis.call('HGET', state, 'h'))
        if not cur_t or cur_t <= op[2] then redis.call('HSET', state, 'h', nbo_fmt(op[2]) .. '|' .. op[3]) end
      end
      local _, hid = stamped(redis.call('HGET', state, 'h'))
      res[#res + 1] = { 'h', hid or '' }
    elseif not dup then
      if kind == 'p' then
        local f = 'p:' .. op[2]
        local cur_t = stamped(redis.call('HGET', state, f))
        if not cur_t or cur_t <= op[3] then redis.call('HSET', state, f, nbo_fmt(op[3]) .. '|' .. op[4]) end
      elseif kind == 'b' then
        local f = 'a:' .. op[2]
        redis.call('HSET', state, f, nbo_fold_bucket(redis.call('HGET', state, f) or nil, op[3], op[4], op[5], op[6]))
      elseif kind == 'l' then
        local f = 'a:' .. op[2]
        local cur_t = stamped(redis.call('HGET', state, f))
        if not cur_t or cur_t <= op[3] then redis.call('HSET', state, f, nbo_fmt(op[3]) .. '|' .. op[4]) end
      elseif kind == 'd' then
        local f = 'a:' .. op[2]
        redis.call('HSET', state, f, nbo_fold_distinct(redis.call('HGET', state, f) or nil, op[3], op[4], op[5], op[6]))
      elseif kind == 'r' or kind == 'f' then
        local f = 'o:' .. op[2]
        local h = nbo_hist_load(redis.call('HGET', state, f) or nil)
        if not h then return -2 end
        if kind == 'r' then
          local imp, acc, seg = nbo_hist_response(h, op[3], op[4], op[5])
          res[#res + 1] = { 'r', op[2], imp, acc, seg }
        else
          nbo_hist_count(h, 1, op[5])
          h.di = op[3]
          h.sg = op[4]
        end
        nbo_hist_trim(h, now)
        redis.call('HSET', state, f, cjson.encode(h))
      end
    end
  end
  results[i] = res
end

redis.call('PEXPIRE', state, ttl)
redis.call('PEXPIRE', seen, horizon)
return cjson.encode(results)
