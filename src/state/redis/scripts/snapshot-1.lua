--[[
  Reads everything a decision needs about one customer in one round trip.

  KEYS[1]  the customer's state hash   nbo:{c-42}
  ARGV[1]  which offer histories (o:* fields) to return: "*" or absent = all of them;
           "+" = only those of the offer ids in ARGV[2..] (none when there are none).
           A decision reads only the histories its caps and cooldowns need.
  Returns  the hash's fields and values, flat (field, value, field, value, …): p:*, h, a:*
           and the o:* asked for; not the seen ids "s" nor the
           issued decisions "d", which only responses read. Empty for an unknown customer.
           A flat reply costs Redis a copy of each string; the JSON document it replaced
           cost an escaped re-encoding of every value (histories are JSON themselves),
           which was most of this script's time.
]]
local want = nil
if ARGV[1] == '+' then
  want = {}
  for i = 2, #ARGV do want['o:' .. ARGV[i]] = true end
end
local all = redis.call('HGETALL', KEYS[1])
local out, n = {}, 0
for i = 1, #all, 2 do
  local f = all[i]
  if f ~= 's' and f ~= 'd' and (want == nil or want[f] or string.sub(f, 1, 2) ~= 'o:') then
    out[n + 1] = f
    out[n + 2] = all[i + 1]
    n = n + 2
  end
end
return out
