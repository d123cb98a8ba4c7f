-- Decisions issued to one customer, in hash field "d", oldest first, mirroring
-- src/state/issued-decisions.ts: entries ";<key>|<at>|<offer>,<offer>|<policy>|<segment>|<features>"
-- (key: the decision id hashed to 10 characters; at: epoch seconds in base 36; policy: ""
-- for the default; features: feature buckets in base 36 "c.14.7" of the contextual model,
-- or empty; none of the parts holds | ; or ,).

-- The entries still kept at `now` (younger than ttl), the newest `max` of them, plus `add`.
local function nbo_decisions_add(raw, add, now, ttl, max)
  local kept = {}
  for e in string.gmatch(raw or '', ';([^;]+)') do
    local at = tonumber(string.match(e, '^[^|]*|([0-9a-z]+)') or '', 36)
    if at and at * 1000 + ttl > now then kept[#kept + 1] = e end
  end
  kept[#kept + 1] = add
  local first = math.max(1, #kept - max + 1)
  local out = {}
  for i = first, #kept do out[#out + 1] = ';' .. kept[i] end
  return table.concat(out)
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
