-- Packed buckets: one hash field per aggregate, "idx=value,idx=value" where value is a
-- number (count, sum, min, max), "sum/count" (avg), or a time (distinct: key=last seen).
-- Folding an event also drops every bucket older than the window (first_idx), so a field
-- never holds more than the window's buckets.

-- fn: 'c' count, 's' sum, 'mn' min, 'mx' max, 'a' avg
local function nbo_fold_bucket(packed, fn, idx, value, first_idx)
  local out = {}
  local found = false
  if packed then
    for k, v in string.gmatch(packed, '([^,=]+)=([^,]+)') do
      local i = tonumber(k)
      if i >= first_idx then
        if i == idx then
          found = true
          if fn == 'a' then
            local s, c = string.match(v, '([^/]+)/([^/]+)')
            v = nbo_fmt(tonumber(s) + value) .. '/' .. nbo_fmt(tonumber(c) + 1)
          else
            local n = tonumber(v)
            if fn == 'c' then n = n + 1
            elseif fn == 's' then n = n + value
            elseif fn == 'mn' then if value < n then n = value end
            elseif fn == 'mx' then if value > n then n = value end
            end
            v = nbo_fmt(n)
          end
        end
        out[#out + 1] = k .. '=' .. v
      end
    end
  end
  if not found then
    local v
    if fn == 'a' then v = nbo_fmt(value) .. '/1'
    elseif fn == 'c' then v = '1'
    else v = nbo_fmt(value) end
    out[#out + 1] = nbo_fmt(idx) .. '=' .. v
  end
  return table.concat(out, ',')
end

-- Sum of the buckets at or after first_idx.
local function nbo_sum_buckets(packed, first_idx)
  local n = 0
  if packed then
    for k, v in string.gmatch(packed, '([^,=]+)=([^,]+)') do
      if tonumber(k) >= first_idx then n = n + tonumber(v) end
    end
  end
  return n
end

-- distinct: key=last-seen time; bump key to t, drop entries seen before start, keep at most max.
local function nbo_fold_distinct(packed, key, t, start, max)
  local entries = {}
  local seen = false
  if packed then
    for k, v in string.gmatch(packed, '([^,=]+)=([^,]+)') do
      local tv = tonumber(v)
      if k == key then
        seen = true
        if t > tv then tv = t end
      end
      if tv >= start then entries[#entries + 1] = { k, tv } end
    end
  end
  if not seen and t >= start then entries[#entries + 1] = { key, t } end
  while #entries > max do
    local oldest = 1
    for i = 2, #entries do
      if entries[i][2] < entries[oldest][2] then oldest = i end
    end
    table.remove(entries, oldest)
  end
  local out = {}
  for i = 1, #entries do out[i] = entries[i][1] .. '=' .. nbo_fmt(entries[i][2]) end
  return table.concat(out, ',')
end
