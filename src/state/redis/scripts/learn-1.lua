--[[
  Adds learned impressions and acceptances to an offer's counters, lifetime and decayed:
  the decayed ones are first decayed from their last update to now by the offer's
  half-life (src/state/learning-counts.ts addCounts does the same for the in-process store).

  KEYS[1]  the offer's learning hash   nbo:learn:{offer-id}
           per counter prefix p (`*`, `s:<segment>`, `<arm>/*`, `<arm>/s:<segment>`):
           p:i p:a lifetime, p:ri p:ra decayed, p:t time of the decayed counts (ms)
  ARGV[1]  now (ms)
  ARGV[2]  half-life (ms); 0 = never forget
  ARGV[3..] triples: prefix, impressions, acceptances
  Returns  the number of prefixes updated
]]
--@include "format"

local now = tonumber(ARGV[1])
local half = tonumber(ARGV[2])
local n = 0
for k = 3, #ARGV, 3 do
  local p, imp, acc = ARGV[k], tonumber(ARGV[k + 1]), tonumber(ARGV[k + 2])
  local v = redis.call('HMGET', KEYS[1], p .. ':i', p .. ':a', p .. ':ri', p .. ':ra', p .. ':t')
  local ri, ra, t = tonumber(v[3]) or 0, tonumber(v[4]) or 0, tonumber(v[5]) or now
  local f = 1
  if half > 0 and now > t then f = math.pow(2, -(now - t) / half) end
  if t < now then t = now end
  redis.call('HSET', KEYS[1],
    p .. ':i', nbo_fmt((tonumber(v[1]) or 0) + imp),
    p .. ':a', nbo_fmt((tonumber(v[2]) or 0) + acc),
    p .. ':ri', nbo_fmt(ri * f + imp),
    p .. ':ra', nbo_fmt(ra * f + acc),
    p .. ':t', nbo_fmt(t))
  n = n + 1
end
return n
