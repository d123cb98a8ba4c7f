-- Packed buckets: one hash field per aggregate storage. Numeric buckets are kept sorted
-- as "last;idx=value,delta=value,..." — `last` the newest bucket's index, then the first
-- index absolute and each next one as its distance from the previous — where value is a
-- number (count, sum, min, max) or "sum/count" (avg). Distinct values are
-- "key=last seen,...". Folding an event drops what is older than the window, so a field
-- never holds more than the window's buckets.

local function nbo_parse_buckets(packed)
  local idx, val = {}, {}
  if packed then
    local prev = 0
    local body = string.match(packed, '^[^;]*;(.*)$') or ''
    for k, v in string.gmatch(body, '([^,=]+)=([^,]+)') do
      local i = tonumber(k)
      if #idx > 0 then i = prev + i end
      prev = i
      idx[#idx + 1] = i
      val[#val + 1] = v
    end
  end
  return idx, val
end

local function nbo_encode_buckets(idx, val)
  local out, prev = {}, nil
  for j = 1, #idx do
    local k = prev and (idx[j] - prev) or idx[j]
    out[j] = nbo_fmt(k) .. '=' .. val[j]
    prev = idx[j]
  end
  if #idx == 0 then return '' end
  return nbo_fmt(idx[#idx]) .. ';' .. table.concat(out, ',')
end

-- One bucket's value after folding `value` into `v` (nil: a new bucket).
local function nbo_fold_value(v, fn, value)
  if fn == 'a' then
    if not v then return nbo_fmt(value) .. '/1' end
    local s, c = string.match(v, '([^/]+)/([^/]+)')
    return nbo_fmt(tonumber(s) + value) .. '/' .. nbo_fmt(tonumber(c) + 1)
  end
  if fn == 'c' then return v and nbo_fmt(tonumber(v) + 1) or '1' end
  if not v then return nbo_fmt(value) end
  local n = tonumber(v)
  if fn == 's' then n = n + value
  elseif fn == 'mn' then if value < n then n = value end
  elseif fn == 'mx' then if value > n then n = value end
  end
  return nbo_fmt(n)
end

-- fn: 'c' count, 's' sum, 'mn' min, 'mx' max, 'a' avg
local function nbo_fold_bucket_slow(packed, fn, idx, value, first_idx)
  local is, vs = nbo_parse_buckets(packed)
  local oi, ov = {}, {}
  local done = false
  for j = 1, #is do
    local i, v = is[j], vs[j]
    if i >= first_idx then
      if not done and i > idx then
        oi[#oi + 1] = idx
        if fn == 'a' then ov[#ov + 1] = nbo_fmt(value) .. '/1'
        elseif fn == 'c' then ov[#ov + 1] = '1'
        else ov[#ov + 1] = nbo_fmt(value) end
        done = true
      end
      if i == idx then
        done = true
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
      oi[#oi + 1] = i
      ov[#ov + 1] = v
    end
  end
  if not done then
    oi[#oi + 1] = idx
    if fn == 'a' then ov[#ov + 1] = nbo_fmt(value) .. '/1'
    elseif fn == 'c' then ov[#ov + 1] = '1'
    else ov[#ov + 1] = nbo_fmt(value) end
  end
  return nbo_encode_buckets(oi, ov)
end

-- `packed` without its buckets before first_idx ('' when none is left): the leading entries
-- are skipped and the first one kept gets its absolute index; the rest is copied as is.
local function nbo_drop_old(packed, semi, first_idx)
  local pos, idx = semi + 1, nil
  while true do
    local eq = string.find(packed, '=', pos, true)
    if not eq then return '' end
    local k = tonumber(string.sub(packed, pos, eq - 1))
    idx = idx and idx + k or k
    if idx >= first_idx then
      return string.sub(packed, 1, semi) .. nbo_fmt(idx) .. string.sub(packed, eq)
    end
    local comma = string.find(packed, ',', eq, true)
    if not comma then return '' end
    pos = comma + 1
  end
end

-- `packed` with the value of the entry at idx (its '=' at eq, its last character at e) folded.
local function nbo_fold_at(packed, eq, e, fn, value)
  return string.sub(packed, 1, eq) .. nbo_fold_value(string.sub(packed, eq + 1, e), fn, value) .. string.sub(packed, e + 1)
end

-- `packed` with a new entry for idx put in before the entry at index `at` (the separator
-- before its key at sep, its '=' at eq), which keeps its place as `at - idx` past idx;
-- prev: the index of the entry before (nil: idx becomes the first, its key absolute).
local function nbo_insert_before(packed, sep, eq, prev, at, fn, idx, value)
  return string.sub(packed, 1, sep) .. nbo_fmt(prev and idx - prev or idx) .. '=' .. nbo_fold_value(nil, fn, value)
    .. ',' .. nbo_fmt(at - idx) .. string.sub(packed, eq)
end

-- An event for a bucket older than the newest (`last`) but in the window: only the text
-- where idx belongs changes — its value folded, or a new entry put in before the first
-- entry past idx, which keeps its place by a shorter distance — instead of the whole field
-- being parsed and re-encoded. Entries are found from the nearer end: from the back (each
-- entry's index is the next one's minus the next one's distance), which is where late
-- events land, or from the front (`head`: the first entry's index).
local function nbo_fold_inside(packed, semi, head, last, fn, idx, value, first_idx)
  if last - idx <= idx - head then
    local at, e = last, #packed -- the entry looked at: its index, the end of its value
    while true do
      local eq = e
      while string.byte(packed, eq) ~= 61 do eq = eq - 1 end -- '=' before its value
      local sep = eq - 1
      local b = string.byte(packed, sep)
      while b ~= 44 and b ~= 59 do -- ',' or ';' (the first entry) before its key
        sep = sep - 1
        b = string.byte(packed, sep)
      end
      if at == idx then return nbo_fold_at(packed, eq, e, fn, value) end
      local prev = b == 44 and at - tonumber(string.sub(packed, sep + 1, eq - 1)) or nil
      if not prev or prev < idx then return nbo_insert_before(packed, sep, eq, prev, at, fn, idx, value) end
      at, e = prev, sep - 1
    end
  end
  local pos, prev = semi + 1, nil -- the entry looked at: where its key starts, the index before it
  while true do
    local eq = string.find(packed, '=', pos, true)
    local at = tonumber(string.sub(packed, pos, eq - 1))
    if prev then at = prev + at end
    local comma = string.find(packed, ',', eq, true)
    if at == idx then return nbo_fold_at(packed, eq, comma and comma - 1 or #packed, fn, value) end
    if at > idx then return nbo_insert_before(packed, pos - 1, eq, prev, at, fn, idx, value) end
    if not comma then return nbo_fold_bucket_slow(packed, fn, idx, value, first_idx) end -- past `last`: not written by this script
    prev, pos = at, comma + 1
  end
end

-- The common cases — the event falls in the newest bucket or a newer one — touch only the
-- ends of the string: buckets that left the window are cut from the front, the value is
-- folded at the back. An event for an older bucket in the window changes the text around
-- its place (nbo_fold_inside); one before the window goes through the full re-encoding.
-- idx_text: the bucket index as text (the client formats it, saving a conversion here).
local function nbo_fold_bucket(packed, fn, idx_text, value, first_idx)
  if packed and packed ~= '' then
    local semi = string.find(packed, ';', 1, true)
    local eq = semi and string.find(packed, '=', semi + 1, true)
    if eq then
      local head = tonumber(string.sub(packed, semi + 1, eq - 1))
      if head < first_idx then
        packed = nbo_drop_old(packed, semi, first_idx)
        return nbo_fold_bucket(packed, fn, idx_text, value, first_idx)
      end
      local last = tonumber(string.sub(packed, 1, semi - 1))
      local idx = tonumber(idx_text)
      if idx > last then
        return idx_text .. string.sub(packed, semi) .. ',' .. nbo_fmt(idx - last) .. '=' .. nbo_fold_value(nil, fn, value)
      elseif idx == last then
        local p = #packed
        while string.byte(packed, p) ~= 61 do p = p - 1 end -- the newest value follows the last '='
        return string.sub(packed, 1, p) .. nbo_fold_value(string.sub(packed, p + 1), fn, value)
      end
      if idx >= first_idx then return nbo_fold_inside(packed, semi, head, last, fn, idx, value, first_idx) end
      return nbo_fold_bucket_slow(packed, fn, idx, value, first_idx)
    end
  end
  return idx_text .. ';' .. idx_text .. '=' .. nbo_fold_value(nil, fn, value)
end

-- Sum of the buckets at or after first_idx.
local function nbo_sum_buckets(packed, first_idx)
  local is, vs = nbo_parse_buckets(packed)
  local n = 0
  for j = 1, #is do
    if is[j] >= first_idx then n = n + tonumber(vs[j]) end
  end
  return n
end

-- distinct: "key=last seen,..." ordered by last seen, oldest first; keys are fixed-size
-- hashes without '=' or ','. Bump key to t, drop entries seen before start, keep at most
-- max (the oldest go). The usual cases — a key seen again, or a new one, at the newest
-- time — cut from the front and append at the back; a late event re-sorts the field.
local function nbo_distinct_sorted(entries)
  table.sort(entries, function(a, b) return a[2] < b[2] end)
  local out = {}
  for i = 1, #entries do out[i] = entries[i][1] .. '=' .. nbo_fmt(entries[i][2]) end
  return table.concat(out, ',')
end

local function nbo_fold_distinct(packed, key, t, start, max)
  local s = packed or ''
  -- what left the window goes from the front
  while s ~= '' do
    if tonumber(string.match(s, '^[^=]*=(%d+)')) >= start then break end
    local c = string.find(s, ',', 1, true)
    s = c and string.sub(s, c + 1) or ''
  end
  if t < start then return s end
  local p = s ~= '' and string.find(s, key .. '=', 1, true)
  if p then
    local q = p + #key + 1
    local e = string.find(s, ',', q, true)
    if tonumber(string.sub(s, q, e and e - 1 or -1)) >= t then return s end
    -- out of its place; back in below at its new time
    if e then s = string.sub(s, 1, p - 1) .. string.sub(s, e + 1)
    elseif p > 1 then s = string.sub(s, 1, p - 2)
    else s = '' end
  end
  if s == '' then return key .. '=' .. nbo_fmt(t) end
  local eq = #s
  while string.byte(s, eq) ~= 61 do eq = eq - 1 end -- the newest entry's '='
  if t >= tonumber(string.sub(s, eq + 1)) then
    s = s .. ',' .. key .. '=' .. nbo_fmt(t)
  else
    local entries = {}
    for k, v in string.gmatch(s, '([^,=]+)=([^,]+)') do entries[#entries + 1] = { k, tonumber(v) } end
    entries[#entries + 1] = { key, t }
    s = nbo_distinct_sorted(entries)
  end
  if p then return s end
  -- one more key: the oldest go past max
  local n, pos = 1, 1
  while true do
    pos = string.find(s, ',', pos, true)
    if not pos then break end
    n = n + 1
    pos = pos + 1
  end
  while n > max do
    s = string.sub(s, string.find(s, ',', 1, true) + 1)
    n = n - 1
  end
  return s
end
