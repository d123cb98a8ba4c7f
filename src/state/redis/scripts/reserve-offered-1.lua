--[[
  Reserves one `offered` unit of an offer's total caps, atomically: checks every cap
  and counts one more only when all have room, so concurrent decisions never overshoot.

  KEYS[1]  the offer's totals hash   nbo:tot:{offer-id}
           fields: "<outcome>" lifetime count; "<outcome>@<bucketMs>" packed buckets
  ARGV[1]  now (ms)
  ARGV[2]  number of caps n; then per cap ARGV[3 + 3k .. 5 + 3k]: max, bucketMs (0 = lifetime), firstIdx
  Returns  1 reserved, 0 a cap is full
]]
--@include "format"
--@include "packed-buckets"

local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local caps = {}
for k = 0, n - 1 do
  caps[#caps + 1] = { max = tonumber(ARGV[3 + 3 * k]), bucket = tonumber(ARGV[4 + 3 * k]), first = tonumber(ARGV[5 + 3 * k]) }
end
for _, cap in ipairs(caps) do
  local count
  if cap.bucket == 0 then
    count = tonumber(redis.call('HGET', KEYS[1], 'offered') or '0')
  else
    count = nbo_sum_buckets(redis.call('HGET', KEYS[1], 'offered@' .. cap.bucket) or nil, cap.first)
  end
  if count >= cap.max then return 0 end
end
redis.call('HINCRBY', KEYS[1], 'offered', 1)
local done = {}
for _, cap in ipairs(caps) do
  if cap.bucket ~= 0 and not done[cap.bucket] then
    done[cap.bucket] = true
    local first = cap.first
    for _, other in ipairs(caps) do
      if other.bucket == cap.bucket and other.first < first then first = other.first end
    end
    local f = 'offered@' .. cap.bucket
    local idx = nbo_fmt(math.floor(now / cap.bucket))
    redis.call('HSET', KEYS[1], f, nbo_fold_bucket(redis.call('HGET', KEYS[1], f) or nil, 'c', idx, 1, first))
  end
end
return 1
