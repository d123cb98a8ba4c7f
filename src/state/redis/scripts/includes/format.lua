-- Numbers as the shortest text that reads back exactly: integers with %d (the cheapest
-- conversion in Lua 5.1); decimals with %.14g when that round-trips (76.68), else %.17g.
local function nbo_fmt(x)
  if x % 1 == 0 and x > -9e15 and x < 9e15 then return string.format('%d', x) end
  local s = tostring(x)
  if tonumber(s) == x then return s end
  return string.format('%.17g', x)
end
