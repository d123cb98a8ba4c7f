-- Decisions issued to one customer, in hash field "d", oldest first, mirroring
-- src/state/issued-decisions.ts: entries ";<key>|<at>|<offer>,<offer>|<policy>|<segment>|<features>"
-- (key: the decision id hashed to 10 characters; at: epoch seconds in base 36; policy: ""
-- for the default; features: feature buckets in base 36 "c.14.7" of the contextual model,
-- or empty; none of the parts holds | ; or ,).

-- The entries with `add` appended, oldest first: entries are dropped from the front while
-- they are older than ttl or more than `max` would be kept. (Entries are appended as
-- decisions are recorded, so the old ones are at the front; nbo_decisions_check refuses an
-- entry older than ttl wherever it stands.) No table is built: the string is cut once.
local function nbo_decisions_add(raw, add, now, ttl, max)
  raw = raw or ''
  local _, n = string.gsub(raw, ';', ';')
  local from = 1
  while n > 0 do
    local at = tonumber(string.match(raw, '^;[^|;]*|([0-9a-z]+)', from) or '', 36)
    if n < max and at and at * 1000 + ttl > now then break end
    n = n - 1
    from = string.find(raw, ';', from + 1, true) or (#raw + 1)
  end
  return string.sub(raw, from) .. ';' .. add
end

-- The decision `key` if it was issued younger than ttl and offered `offer`:
-- returns 0, policy, segment, features; or 1 (unknown decision) / 2 (offer not in it).
local function nbo_decisions_check(raw, key, offer, now, ttl)
  local p = string.find(raw or '', ';' .. key .. '|', 1, true)
  if not p then return 1 end
  local e = string.match(raw, '^;([^;]+)', p)
  local _, at, offers, policy, segment, features = string.match(e, '^([^|]*)|([0-9a-z]+)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not at or tonumber(at, 36) * 1000 + ttl <= now then return 1 end
  for o in string.gmatch(offers, '[^,]+') do
    if o == offer then return 0, policy, segment, features end
  end
  return 2
end
