-- Offer history of one customer for one offer, as JSON in hash field "o:<offerId>".
-- Mirrors src/state/offer-history.ts. Outcomes by index:
-- 1 offered, 2 impression, 3 accepted, 4 declined, 5 redeemed.
--   c  lifetime counts          l  latest time of each (0 = never)
--   r  recent times, ascending, each outcome as deep as the caller says, none older than 400 days
--   lo last outcome (0 = none)  la its time
--   di last decision that offered it, sg its learning segment, im decision whose impression counted
local NBO_MAX_WINDOW_MS = 400 * 86400000

local function nbo_hist_load(raw)
  if not raw then
    return { c = { 0, 0, 0, 0, 0 }, l = { 0, 0, 0, 0, 0 }, r = { {}, {}, {}, {}, {} }, lo = 0, la = 0, di = '', sg = '', im = '' }
  end
  local ok, h = pcall(cjson.decode, raw)
  if not ok or type(h) ~= 'table' or type(h.c) ~= 'table' then return nil end
  for o = 1, 5 do
    if type(h.r[o]) ~= 'table' then h.r[o] = {} end
  end
  return h
end

local function nbo_hist_count(h, o, t, depth)
  h.c[o] = h.c[o] + 1
  if t > h.l[o] then h.l[o] = t end
  local r = h.r[o]
  local i = #r
  while i > 0 and r[i] > t do i = i - 1 end
  table.insert(r, i + 1, t)
  while #r > depth do table.remove(r, 1) end
  if h.la == 0 or t >= h.la then
    h.lo = o
    h.la = t
  end
end

local function nbo_hist_trim(h, now)
  local oldest = now - NBO_MAX_WINDOW_MS
  for o = 1, 5 do
    local r = h.r[o]
    while #r > 0 and r[1] < oldest do table.remove(r, 1) end
  end
end

-- A response; an answer to a decision whose impression was never reported implies one.
-- Returns impressions added, acceptances added, the segment the offer was made in.
-- depths: how many recent times to keep per outcome, by index
local function nbo_hist_response(h, o, decision, t, depths)
  local imp = 0
  if h.im ~= decision then
    h.im = decision
    imp = 1
    if o ~= 2 then nbo_hist_count(h, 2, t, depths[2]) end
  end
  if o ~= 2 or imp == 1 then nbo_hist_count(h, o, t, depths[o]) end
  local acc = 0
  if o == 3 then acc = 1 end
  return imp, acc, h.sg
end
