--[[
  Reads everything a decision needs about one customer in one round trip, as one string,
  so the client decodes a single JSON document instead of a many-field reply.

  KEYS[1]  the customer's state hash   nbo:{c-42}
  ARGV[1]  which offer histories (o:* fields) to return: "*" or absent = all of them;
           "+" = only those of the offer ids in ARGV[2..] (none when there are none).
           A decision reads only the histories its caps and cooldowns need: encoding the
           others (JSON inside JSON, every quote escaped) was most of this script's time.
  Returns  JSON object of the hash's fields (p:*, h, a:*, o:*; not the seen ids "s"),
           or "" for an unknown customer.
]]
local want = nil
if ARGV[1] == '+' then
  want = {}
  for i = 2, #ARGV do want['o:' .. ARGV[i]] = true end
end
local all = redis.call('HGETALL', KEYS[1])
local t, n = {}, 0
for i = 1, #all, 2 do
  local f = all[i]
  if f ~= 's' then
    n = n + 1
    if want == nil or want[f] or string.sub(f, 1, 2) ~= 'o:' then t[f] = all[i + 1] end
  end
end
if n == 0 then return '' end
return cjson.encode(t)
