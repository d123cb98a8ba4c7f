--[[
  Counts an outcome of an offer across all customers (total caps on responses).

  KEYS[1]  the offer's totals hash   nbo:tot:{offer-id}
  ARGV[1]  outcome
  ARGV[2]  how many to count
  ARGV[3]  number of windowed bucket sizes n; then per size ARGV[4 + 3k .. 6 + 3k]: bucketMs, idx, firstIdx
  Returns  the new lifetime count
]]
--@include "format"
--@include "packed-buckets"

local outcome = ARGV[1]
local by = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
for k = 0, n - 1 do
  local bucket, idx, first = ARGV[4 + 3 * k], ARGV[5 + 3 * k], tonumber(ARGV[6 + 3 * k])
  local f = outcome .. '@' .. bucket
  redis.call('HSET', KEYS[1], f, nbo_fold_bucket(redis.call('HGET', KEYS[1], f) or nil, 's', idx, by, first))
end
return redis.call('HINCRBY', KEYS[1], outcome, by)
