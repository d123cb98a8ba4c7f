--[[
  Applies a batch of one customer's events, atomically, each at most once by event id.
  Recording an id and applying its event happen in this one script: a crash can never
  leave one without the other. The client (src/state/redis/codec.ts) turns each event into
  ops with the rule model already applied, so this script knows nothing of the rules.
  It reads every field it needs with one HMGET and writes them back with one HSET.

  KEYS[1]  the customer's state hash   nbo:{c-42}
           field "s" holds the seen event ids: ",id=forget-after (epoch seconds),id=…", oldest first
  ARGV[1]  now (ms)
  ARGV[2]  dedupe horizon (ms)
  ARGV[3]  state TTL (ms): the customer is forgotten this long after its last write
  ARGV[4]  JSON batch: [[eventId, op, op, ...], ...]; eventId "" = no dedupe (recorded offers)
           ops:
             ["p", key, t, json]                    profile key ("" json = remove); older t never wins
             ["h", t, householdId]                  household link ("" = none); older t never wins
             ["b", field, fn, idx, value, firstIdx] fold into packed buckets (idx as text), drop buckets < firstIdx
             ["l", field, t, json]                  last: keep the value of the newest t
             ["d", field, key, t, start, max]        distinct: key last seen at t
             ["r", offerId, outcome, decisionId, t, depths]  offer response (outcome index 2..5)
             ["f", offerId, decisionId, segment, t, depths]  offered by a decision
           depths: how many recent times the offer keeps per outcome (its windowed customer caps)
  Returns  JSON [[status, extras...], ...] per event: status 1 applied, 0 duplicate;
           extras ["r", offerId, impressions, accepted, segment] and ["h", householdId]
           (the current link, also for a duplicate, so membership can be repaired).
           -1 when ARGV[4] is not a batch, -2 when stored state cannot be read.
]]
--@include "format"
--@include "packed-buckets"
--@include "offer-history"

local state = KEYS[1]
local now = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local ok, batch = pcall(cjson.decode, ARGV[4])
if not ok or type(batch) ~= 'table' then return -1 end

-- every field the batch touches, read at once
local FIELD_OF = { p = function(op) return 'p:' .. op[2] end, h = function() return 'h' end,
  b = function(op) return 'a:' .. op[2] end, l = function(op) return 'a:' .. op[2] end,
  d = function(op) return 'a:' .. op[2] end, r = function(op) return 'o:' .. op[2] end,
  f = function(op) return 'o:' .. op[2] end }
local names, index = { 's' }, { s = 1 }
for _, ev in ipairs(batch) do
  for j = 2, #ev do
    local f = FIELD_OF[ev[j][1]](ev[j])
    if not index[f] then
      names[#names + 1] = f
      index[f] = #names
    end
  end
end
local values = redis.call('HMGET', state, unpack(names))
local cur, dirty = {}, {}
for i, f in ipairs(names) do cur[f] = values[i] or nil end
local hist = {}

local function stamped(raw)
  if not raw then return nil, nil end
  local t, rest = string.match(raw, '^([^|]*)|(.*)$')
  return tonumber(t), rest
end
local function set(f, v)
  cur[f] = v
  dirty[f] = true
end

-- seen ids: drop the expired ones at the front (times in seconds: shorter than ms)
local now_s = math.floor(now / 1000)
local seen = cur.s or ''
while true do
  local exp = string.match(seen, '^,[^=,]+=(%d+)')
  if not exp or tonumber(exp) > now_s then break end
  seen = string.match(seen, '^,[^,]*(.*)$')
end

local results = {}
for i, ev in ipairs(batch) do
  local id = ev[1]
  local dup = false
  if id ~= '' then
    local p = string.find(seen, ',' .. id .. '=', 1, true)
    if p and tonumber(string.match(seen, '^(%d+)', p + #id + 2)) > now_s then
      dup = true
    else
      seen = seen .. ',' .. id .. '=' .. nbo_fmt(math.ceil((now + horizon) / 1000))
    end
  end
  local res = { dup and 0 or 1 }
  for j = 2, #ev do
    local op = ev[j]
    local kind = op[1]
    if kind == 'h' then
      if not dup then
        local cur_t = stamped(cur.h)
        if not cur_t or cur_t <= op[2] then set('h', nbo_fmt(op[2]) .. '|' .. op[3]) end
      end
      local _, hid = stamped(cur.h)
      res[#res + 1] = { 'h', hid or '' }
    elseif not dup then
      local f = FIELD_OF[kind](op)
      if kind == 'p' then
        local cur_t = stamped(cur[f])
        if not cur_t or cur_t <= op[3] then set(f, nbo_fmt(op[3]) .. '|' .. op[4]) end
      elseif kind == 'b' then
        set(f, nbo_fold_bucket(cur[f], op[3], op[4], op[5], op[6]))
      elseif kind == 'l' then
        local cur_t = stamped(cur[f])
        if not cur_t or cur_t <= op[3] then set(f, nbo_fmt(op[3]) .. '|' .. op[4]) end
      elseif kind == 'd' then
        set(f, nbo_fold_distinct(cur[f], op[3], op[4], op[5], op[6]))
      else -- 'r' or 'f': offer history, decoded once per batch
        local h = hist[f]
        if not h then
          h = nbo_hist_load(cur[f])
          if not h then return -2 end
          hist[f] = h
        end
        if kind == 'r' then
          local imp, acc, seg = nbo_hist_response(h, op[3], op[4], op[5], op[6])
          res[#res + 1] = { 'r', op[2], imp, acc, seg }
        else
          nbo_hist_count(h, 1, op[5], op[6][1])
          h.di = op[3]
          h.sg = op[4]
        end
      end
    end
  end
  results[i] = res
end

for f, h in pairs(hist) do
  nbo_hist_trim(h, now)
  set(f, cjson.encode(h))
end
if seen ~= (cur.s or '') then set('s', seen) end
local args = {}
for f in pairs(dirty) do
  args[#args + 1] = f
  args[#args + 1] = cur[f]
end
if #args > 0 then redis.call('HSET', state, unpack(args)) end
redis.call('PEXPIRE', state, ttl)
return cjson.encode(results)
