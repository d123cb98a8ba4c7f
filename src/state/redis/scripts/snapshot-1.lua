--[[
  Reads everything a decision needs about one customer in one round trip, as one string,
  so the client decodes a single JSON document instead of a many-field reply.

  KEYS[1]  the customer's state hash   nbo:{c-42}
  Returns  JSON object of the hash's fields (p:*, h, a:*, o:*), or "" for an unknown customer.
]]
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return '' end
local t = {}
for i = 1, #all, 2 do t[all[i]] = all[i + 1] end
return cjson.encode(t)
