-- Numbers as text that reads back exactly: integers plainly, others with 17 digits.
local function nbo_fmt(x)
  if x == math.floor(x) and math.abs(x) < 1e15 then
    return string.format('%d', x)
  end
  return string.format('%.17g', x)
end
