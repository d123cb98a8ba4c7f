--[[
  Reads everything a decision needs about one customer in one round trip, as one string,
  so the client decodes a single JSON document instead of a many-field reply.

  KEYS[1]  the customer's state hash   nbo:{c-42}
  Returns  JSON object of the hash's fields (p:*, h, a:*, o:*; not the seen ids "s" nor
           the issued decisions "d", which only responses read),
           or "" for an unknown customer.
]]
local all = redis.call('HGETALL', KEYS[1])
local t, n = {}, 0
for i = 1, #all, 2 do
  if all[i] ~= 's' and all[i] ~= 'd' then
    t[all[i]] = all[i + 1]
    n = n + 1
  end
end
if n == 0 then return '' end
return cjson.encode(t)
