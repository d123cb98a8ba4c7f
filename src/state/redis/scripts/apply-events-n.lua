--[[
  Applies batches of events for one or more customers, each customer atomically and each
  event at most once by event id. Recording an id and applying its event happen in this
  one script: a crash can never leave one without the other. The client
  (src/state/redis/codec.ts) turns each event into ops with the rule model already
  applied, so this script knows nothing of the rules. Per customer it reads every field it
  needs with one HMGET and writes them back with one HSET. Several customers share a call
  only when their keys share a slot (always on a single node; on a cluster, the client
  groups by slot), which saves a round trip and a command per customer.

  KEYS[k]  customer k's state hash   nbo:{c-42}
           field "s" holds the seen event ids: ",id=forget-after (epoch seconds),id=…", oldest first
  ARGV[1]  now (ms)
  ARGV[2]  dedupe horizon (ms)
  ARGV[3]  state TTL (ms): a customer is forgotten this long after its last write
  ARGV[5]  issued decisions: how long one counts (ms)
  ARGV[4]  JSON: one batch per key, in KEYS order: [[[eventId, ops...], ...], ...];
           eventId "" = no dedupe. The ops follow each other flat in the
           event's array (fewer tables for cjson to build), each a kind and its arguments:
             "p", key, t, json                    profile key ("" json = remove); older t never wins
             "h", t, householdId                  household link ("" = none); older t never wins
             "b", field, fn, idx, value, firstIdx fold into packed buckets (idx as text), drop buckets < firstIdx
             "l", field, t, json                  last: keep the value of the newest t
             "d", field, key, t, start, max       distinct: key last seen at t
             "r", offerId, outcome, decisionKey, t, depths  offer response (outcome index 2..5); counts
                                                  only when field "d" holds decisionKey with offerId
                                                  (record-offered-n.lua keeps the decisions issued),
                                                  else the event is refused (nothing of it stored)
           decisionKey: the decision id hashed to 10 characters (codec.ts seenId)
           depths: [how many recent times the offer keeps per outcome] (its windowed customer caps)
  Returns  JSON, one entry per key: [[status, extras...], ...] per event, status 1 applied,
           0 duplicate, 2 refused (extras [reason]: 1 unknown decision, 2 offer not in it);
           extras ["r", offerId, impressions, accepted, segment, policy, features] and
           ["h", householdId] (the current link, also for a duplicate, so membership can be
           repaired). An entry is -2 when that customer's stored state cannot be read
           (nothing of that customer is written). -1 when ARGV[4] is not one batch per key.
]]
--@include "format"
--@include "packed-buckets"
--@include "offer-history"
--@include "issued-decisions"

local now = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local ok, batches = pcall(cjson.decode, ARGV[4])
if not ok or type(batches) ~= 'table' or #batches ~= #KEYS then return -1 end
local now_s = math.floor(now / 1000)
local decision_ttl = tonumber(ARGV[5])

-- the hash field an op touches: its kind's prefix and its name ('h' has no name)
local PREFIX = { p = 'p:', b = 'a:', l = 'a:', d = 'a:', r = 'o:' }
local function field_of(kind, name)
  local pre = PREFIX[kind]
  if pre then return pre .. name end
  return 'h'
end
-- how many array slots an op takes, its kind included
local SLOTS = { p = 4, h = 3, b = 6, l = 4, d = 6, r = 6 }

local function stamped(raw)
  if not raw then return nil, nil end
  local t, rest = string.match(raw, '^([^|]*)|(.*)$')
  return tonumber(t), rest
end

-- One customer's batch; returns its per-event results, or -2 (nothing written) when its
-- stored state cannot be read.
local function apply_customer(state, batch)
  -- every field the batch touches, read at once; the seen ids only when an event has an
  -- id (a decision's offered record has none, and a customer's seen ids are the longest field)
  local names, index = {}, {}
  for _, ev in ipairs(batch) do
    if ev[1] ~= '' and not index.s then
      names[#names + 1] = 's'
      index.s = #names
    end
  end
  for _, ev in ipairs(batch) do
    local j = 2
    while j <= #ev do
      local kind = ev[j]
      local f = field_of(kind, ev[j + 1])
      if not index[f] then
        names[#names + 1] = f
        index[f] = #names
      end
      if kind == 'r' and not index.d then
        names[#names + 1] = 'd'
        index.d = #names
      end
      j = j + (SLOTS[kind] or #ev)
    end
  end
  local values = #names > 0 and redis.call('HMGET', state, unpack(names)) or {}
  local cur, dirty = {}, {}
  for i, f in ipairs(names) do cur[f] = values[i] or nil end
  local hist = {}
  local function set(f, v)
    cur[f] = v
    dirty[f] = true
  end

  -- seen ids: drop the expired ones at the front (times in seconds: shorter than ms), cut
  -- once after the last of them
  local seen = cur.s or ''
  if index.s then
    local cut = 1
    while true do
      local exp, next_at = string.match(seen, '^,[^=,]+=(%d+)()', cut)
      if not exp or tonumber(exp) > now_s then break end
      cut = next_at
    end
    if cut > 1 then seen = string.sub(seen, cut) end
  end

  -- a response counts only for a decision issued to this customer with that offer:
  -- 0 and the decision's policy and segment, or the reason it is refused
  local function verify(ev)
    local j = 2
    while j <= #ev do
      if ev[j] == 'r' then return nbo_decisions_check(cur.d, ev[j + 3], ev[j + 1], now, decision_ttl) end
      j = j + (SLOTS[ev[j]] or #ev)
    end
    return 0
  end

  local results = {}
  for i, ev in ipairs(batch) do
    local id = ev[1]
    local dup = false
    if id ~= '' then
      local p = string.find(seen, ',' .. id .. '=', 1, true)
      if p and tonumber(string.match(seen, '^(%d+)', p + #id + 2)) > now_s then dup = true end
    end
    local refused, policy, segment, features = 0, nil, nil, nil
    if not dup then refused, policy, segment, features = verify(ev) end
    if not dup and refused == 0 and id ~= '' then
      seen = seen .. ',' .. id .. '=' .. nbo_fmt(math.ceil((now + horizon) / 1000))
    end
    local res = { dup and 0 or 1 }
    if refused ~= 0 then
      res = { 2, refused }
      dup = true -- nothing of it is applied
    end
    local j = 2
    while j <= #ev do
      local kind = ev[j]
      local a1, a2, a3, a4, a5 = ev[j + 1], ev[j + 2], ev[j + 3], ev[j + 4], ev[j + 5]
      j = j + (SLOTS[kind] or #ev)
      if kind == 'h' and refused ~= 0 then
        -- a refused event changes nothing, not even the reported link
      elseif kind == 'h' then
        if not dup then
          local cur_t = stamped(cur.h)
          if not cur_t or cur_t <= a1 then set('h', nbo_fmt(a1) .. '|' .. a2) end
        end
        local _, hid = stamped(cur.h)
        res[#res + 1] = { 'h', hid or '' }
      elseif not dup then
        local f = field_of(kind, a1)
        if kind == 'b' then
          set(f, nbo_fold_bucket(cur[f], a2, a3, a4, a5))
        elseif kind == 'p' or kind == 'l' then
          local cur_t = stamped(cur[f])
          if not cur_t or cur_t <= a2 then set(f, nbo_fmt(a2) .. '|' .. a3) end
        elseif kind == 'd' then
          set(f, nbo_fold_distinct(cur[f], a2, a3, a4, a5))
        else -- 'r': offer history, decoded once per batch
          local h = hist[f]
          if not h then
            h = nbo_hist_load(cur[f])
            if not h then return -2 end
            hist[f] = h
          end
          local imp, acc = nbo_hist_response(h, a2, a3, a4, a5)
          res[#res + 1] = { 'r', a1, imp, acc, segment or '', policy or '', features or '' }
        end
      end
    end
    results[i] = res
  end

  for f, h in pairs(hist) do
    nbo_hist_trim(h, now)
    set(f, cjson.encode(h))
  end
  if index.s and seen ~= (cur.s or '') then set('s', seen) end
  local args = {}
  for f in pairs(dirty) do
    args[#args + 1] = f
    args[#args + 1] = cur[f]
  end
  if #args > 0 then redis.call('HSET', state, unpack(args)) end
  redis.call('PEXPIRE', state, ttl)
  return results
end

local out = {}
for k = 1, #KEYS do out[k] = apply_customer(KEYS[k], batches[k]) end
return cjson.encode(out)
