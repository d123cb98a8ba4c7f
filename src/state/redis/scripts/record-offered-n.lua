--[[
  Records decisions as offered: for each offer a decision returned, the customer's offer
  history counts it (field "o:<offerId>", includes/offer-history.lua), and the decision is
  kept as issued (field "d", includes/issued-decisions.lua) so that responses to it can be
  verified (apply-events-n.lua's "r" op reads "d"). The arguments are flat (no JSON to
  decode), the answer is one number per customer, and a customer costs one HMGET, one HSET
  and one PEXPIRE. Several customers share a call only when their keys share a slot (always
  on a single node).

  KEYS[k]  customer k's state hash
  ARGV[1]  now (ms)   ARGV[2] state TTL (ms)   ARGV[3] how long an issued decision is kept (ms)
  ARGV[4]  how many issued decisions are kept at most
  ARGV[5…] per key, in KEYS order: the number of records, then each record:
             n, offerId, depth, … (n offers, depth: how many recent "offered" times the
             offer keeps), decisionId, segment, t (ms), issued entry
             ("<key>|<at>|<offers>|<policy>|<segment>|<features>", includes/issued-decisions.lua)
  Returns  one entry per key: 1 written, -2 an offer history of that customer cannot be
           read (nothing of that customer is written); -1 when the arguments run short.
]]
--@include "offer-history"
--@include "issued-decisions"

local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local decision_ttl = tonumber(ARGV[3])
local decisions_max = tonumber(ARGV[4])
local a = 5

local function record_customer(state)
  local m = tonumber(ARGV[a])
  if not m then return -1 end
  a = a + 1
  -- the records, and every field they touch, read at once
  local records, names, index = {}, {}, {}
  for r = 1, m do
    local n = tonumber(ARGV[a])
    -- the record's last argument (its issued entry) must be there
    if not n or not ARGV[a + 2 * n + 4] then return -1 end
    local rec = { offers = {}, depths = {} }
    for i = 1, n do
      local f = 'o:' .. ARGV[a + 2 * i - 1]
      rec.offers[i] = f
      rec.depths[i] = tonumber(ARGV[a + 2 * i])
      if not index[f] then
        names[#names + 1] = f
        index[f] = #names
      end
    end
    a = a + 2 * n + 1
    rec.decision, rec.segment, rec.t, rec.entry = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3]
    a = a + 4
    records[r] = rec
  end
  names[#names + 1] = 'd'
  local values = redis.call('HMGET', state, unpack(names))
  local hist = {}
  for i = 1, #names - 1 do
    local h = nbo_hist_load(values[i] or nil)
    if not h then return -2 end
    hist[names[i]] = h
  end
  local issued = values[#names] or nil
  for _, rec in ipairs(records) do
    for i, f in ipairs(rec.offers) do
      local h = hist[f]
      nbo_hist_count(h, 1, rec.t, rec.depths[i])
      h.di = rec.decision
      h.sg = rec.segment
    end
    issued = nbo_decisions_add(issued, rec.entry, now, decision_ttl, decisions_max)
  end
  local args = {}
  for i = 1, #names - 1 do
    local h = hist[names[i]]
    nbo_hist_trim(h, now)
    args[#args + 1] = names[i]
    args[#args + 1] = cjson.encode(h)
  end
  args[#args + 1] = 'd'
  args[#args + 1] = issued
  redis.call('HSET', state, unpack(args))
  redis.call('PEXPIRE', state, ttl)
  return 1
end

local out = {}
for k = 1, #KEYS do
  local r = record_customer(KEYS[k])
  if r == -1 then return -1 end
  out[k] = r
end
return out
