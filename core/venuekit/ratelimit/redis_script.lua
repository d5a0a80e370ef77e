-- venuekit's shared rate limiter, run atomically inside Redis (see redis_backend.py).
--
-- One weighted sliding log per bucket, on the Redis server's clock, with a FIFO line of
-- tickets in front of it. Every operation is one call of this script.
--
-- KEYS[1]          tombstone of the ticket: set when a cancel may have crossed a call
-- KEYS[2..6]       bucket 1: meta hash (used, queued, heavy, lag), log zset, queue zset,
-- KEYS[7..11]      bucket 2: ...            deadline zset, block string
-- ARGV[1]  op: take | cancel | settle | feedback | block | record
-- ARGV[2]  ticket id (log entries and tickets are "<id>|<cost>")
-- ARGV[3]  ticket grace (us)   ARGV[4] key TTL slack (ms)   ARGV[5] buckets
-- ARGV[6]  op argument: cancel 1 = leave a tombstone; feedback: the venue's count;
--          block: its length (us); record: how long from now the entries count (us)
-- ARGV[7..10], [11..14], ...  per bucket: limit, period (us), window (us), cost
--
-- Times are whole microseconds: exact in Lua's doubles for centuries, and a Lua number
-- handed back to Redis is cut to an integer, so milliseconds would lose their fraction.
--
-- Replies: {0, granted_at_us} granted; {1, wait_us, now_us} wait that long (from now_us,
-- the server's time when the script ran) and call again with the same ticket; {-1} the
-- ticket was cancelled; {1} for the other ops.

if redis.replicate_commands then pcall(redis.replicate_commands) end  -- Redis < 5

local op = ARGV[1]
local id = ARGV[2]
local grace = tonumber(ARGV[3])
local slack = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local extra = tonumber(ARGV[6])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

-- Numbers go to Redis as plain integers, never in exponent notation.
local function int(x)
  return string.format('%.0f', x)
end

local find, sub = string.find, string.sub

local function cost_of(member)
  return tonumber(sub(member, find(member, '|', 1, true) + 1))
end

local function sum_costs(list, step)
  local total = 0
  for i = 1, #list, step do
    total = total + cost_of(list[i])
  end
  return total
end

local buckets = {}
for i = 1, count do
  local k = 1 + 5 * (i - 1)
  local a = 6 + 4 * (i - 1)
  local cost = tonumber(ARGV[a + 4])
  buckets[i] = {
    meta = KEYS[k + 1], log = KEYS[k + 2], q = KEYS[k + 3], dl = KEYS[k + 4],
    block = KEYS[k + 5],
    limit = tonumber(ARGV[a + 1]), period = tonumber(ARGV[a + 2]),
    window = tonumber(ARGV[a + 3]), cost = cost, member = id .. '|' .. cost,
  }
end

-- Count the log and the line from scratch: for a new bucket, or counters that no longer
-- match their sets (a key evicted under maxmemory, say).
local function recount(b)
  b.used = sum_costs(redis.call('ZRANGE', b.log, 0, -1), 1)
  local line = redis.call('ZRANGE', b.q, 0, -1)
  b.queued = sum_costs(line, 1)
  b.heavy = 0
  for _, member in ipairs(line) do
    if cost_of(member) ~= 1 then b.heavy = b.heavy + 1 end
  end
end

-- Read a bucket and drop what has expired: log entries past their end, tickets past
-- their deadline (a crashed process's waiters leave the line on their own).
local function load(b)
  local fields = redis.call('HMGET', b.meta, 'used', 'queued', 'heavy', 'lag')
  b.used = tonumber(fields[1])
  b.queued = tonumber(fields[2])
  b.heavy = tonumber(fields[3])
  b.lag = tonumber(fields[4]) or 0
  if not (b.used and b.queued and b.heavy) then recount(b) end
  local gone = redis.call('ZRANGEBYSCORE', b.log, '-inf', int(now))
  if #gone > 0 then
    b.used = b.used - sum_costs(gone, 1)
    redis.call('ZREMRANGEBYSCORE', b.log, '-inf', int(now))
  end
  local dead = redis.call('ZRANGEBYSCORE', b.dl, '-inf', int(now))
  if #dead > 0 then
    for _, member in ipairs(dead) do
      if redis.call('ZREM', b.q, member) == 1 then
        local cost = cost_of(member)
        b.queued = b.queued - cost
        if cost ~= 1 then b.heavy = b.heavy - 1 end
      end
    end
    redis.call('ZREMRANGEBYSCORE', b.dl, '-inf', int(now))
  end
  b.blocked = tonumber(redis.call('GET', b.block)) or 0
end

-- Write the counters back and make every key of the bucket expire when its content
-- would: the last log entry's end, the last ticket's planned entry, the last deadline.
local function save(b)
  local horizon = now
  local last = redis.call('ZREVRANGE', b.log, 0, 0, 'WITHSCORES')
  if last[2] then horizon = math.max(horizon, tonumber(last[2])) end
  last = redis.call('ZREVRANGE', b.q, 0, 0, 'WITHSCORES')
  if last[2] then horizon = math.max(horizon, tonumber(last[2]) + b.window) end
  last = redis.call('ZREVRANGE', b.dl, 0, 0, 'WITHSCORES')
  if last[2] then horizon = math.max(horizon, tonumber(last[2])) end
  if horizon <= now then
    redis.call('DEL', b.meta, b.log, b.q, b.dl)
    return
  end
  redis.call('HSET', b.meta, 'used', int(b.used), 'queued', int(b.queued),
             'heavy', int(b.heavy), 'lag', int(b.lag))
  local ttl = int(math.ceil((horizon - now) / 1000) + slack)
  redis.call('PEXPIRE', b.meta, ttl)
  redis.call('PEXPIRE', b.log, ttl)
  redis.call('PEXPIRE', b.q, ttl)
  redis.call('PEXPIRE', b.dl, ttl)
end

-- Streams of (end time, cost) in order of end, latest first (`down`) or earliest first,
-- over the `n` lowest-scored members of a zset (all of them if `n` is nil). A log entry
-- ends at its score. A ticket is assumed to be granted at its planned time plus the
-- bucket's lag (how late tickets have been taking: timer, scheduling, round trip), or now
-- if that has passed, and to count for one window from then. Read in chunks that double
-- from 4: most walks stop within a few entries.
local function zstream(key, down, ticket, window, lag, n)
  local buf, pos, start, chunk, done = {}, 1, 0, 4, false
  local range, offset, stop = 'ZRANGE', 0, -1
  if n then stop = n - 1 end
  if down then
    range = 'ZREVRANGE'
    if n then  -- the n lowest, latest first: reverse ranks card - n .. card - 1
      offset = redis.call('ZCARD', key) - n
      stop = -1
    end
  end
  return function()
    if pos > #buf then
      if done or (stop >= 0 and start > stop) or (n and n <= 0) then return nil end
      local last = start + chunk - 1
      if stop >= 0 and last > stop then last = stop end
      buf = redis.call(range, key, offset + start, offset + last, 'WITHSCORES')
      done = #buf < 2 * (last - start + 1)
      start = last + 1
      chunk = math.min(chunk * 2, 256)
      pos = 1
      if #buf == 0 then return nil end
    end
    local member, score = buf[pos], tonumber(buf[pos + 1])
    pos = pos + 2
    if ticket then score = math.max(score + lag, now) + window end
    return score, cost_of(member)
  end
end

-- Merge two ordered streams, calling `visit(end, cost)` until it returns true; nil if
-- it never does.
local function merge(a, b, down, visit)
  local ea, ca = a()
  local eb, cb = b()
  while ea or eb do
    local e, c
    if eb == nil or (ea ~= nil and ((down and ea >= eb) or (not down and ea <= eb))) then
      e, c = ea, ca
      ea, ca = a()
    else
      e, c = eb, cb
      eb, cb = b()
    end
    if visit(e, c) then return e end
  end
  return nil
end

-- Earliest time `cost` more fits under `limit` while every entry of the log and every
-- ticket in `tickets` holds its cost until its end. Everything has started by then, so
-- what counts only shrinks with time: the answer is the end of the entry where the costs,
-- summed in order of end, reach `total + cost - limit` (what must have ended). Walked
-- from whichever side reaches it sooner: from the earliest end for a waiter that woke a
-- little early, from the latest end for a request at the back of a long line (then about
-- `limit` entries, however long the line). Only called when `total + cost > limit`, so
-- the walk always stops on an entry, unless the counters lie: then they are recounted,
-- and the caller is told to ask again at once.
local function fit_after(b, total, tickets)
  local need = total + b.cost - b.limit
  local budget = b.limit - b.cost
  local down = need > budget
  local sum = 0
  local visit
  if down then
    visit = function(_, c) sum = sum + c; return sum > budget end
  else
    visit = function(_, c) sum = sum + c; return sum >= need end
  end
  local at = merge(zstream(b.log, down, false), tickets(down), down, visit)
  if at == nil then
    recount(b)
    return now
  end
  return at
end

local function take(b)
  redis.call('ZADD', b.log, int(now + b.window), b.member)
  b.used = b.used + b.cost
end

local function leave_queue(b)
  if redis.call('ZREM', b.q, b.member) == 1 then
    b.queued = b.queued - b.cost
    if b.cost ~= 1 then b.heavy = b.heavy - 1 end
  end
  redis.call('ZREM', b.dl, b.member)
end

-- The tickets ahead of this one: how many, and their cost. In a line of unit costs
-- (request-count rules) the cost is the count, found without reading the line.
local function ahead_of(b)
  b.rank = redis.call('ZRANK', b.q, b.member)
  if b.heavy == 0 then
    b.ahead = b.rank
  else
    b.ahead = sum_costs(redis.call('ZRANGE', b.q, 0, b.rank), 1) - b.cost
  end
end

local result = {1}

if op == 'take' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {-1} end
  for _, b in ipairs(buckets) do load(b) end

  -- A call retried after a lost reply: the first run's grant stands, nothing is taken twice.
  local granted = nil
  for _, b in ipairs(buckets) do
    local score = redis.call('ZSCORE', b.log, b.member)
    if not score then
      granted = nil
      break
    end
    granted = tonumber(score) - b.window
  end

  local lined = 0
  for _, b in ipairs(buckets) do
    if redis.call('ZSCORE', b.q, b.member) then lined = lined + 1 end
  end
  if lined > 0 and lined < count then  -- expired in some lines only: start again
    for _, b in ipairs(buckets) do leave_queue(b) end
    lined = 0
  end

  if granted then
    result = {0, granted}
  elseif lined == count then
    -- Back from its sleep. It may go if every bucket has room for it and for every ticket
    -- ahead of it: those keep their share, so nobody is overtaken.
    local ready = true
    for _, b in ipairs(buckets) do
      ahead_of(b)
      if b.blocked > now or b.used + b.ahead + b.cost > b.limit then ready = false end
    end
    if ready then
      for _, b in ipairs(buckets) do
        -- how late this ticket came against its plan, smoothed
        local plan = tonumber(redis.call('ZSCORE', b.q, b.member))
        local late = math.min(math.max(now - plan, 0), b.window)
        b.lag = math.floor(b.lag + (late - b.lag) / 4)
        leave_queue(b)
        take(b)
      end
      result = {0, now}
    else  -- something moved (a late grant ahead, feedback, a block): wait again
      local at = now
      for _, b in ipairs(buckets) do
        local t = b.blocked
        if b.used + b.ahead + b.cost > b.limit then
          t = math.max(t, fit_after(b, b.used + b.ahead, function(down)
            return zstream(b.q, down, true, b.window, b.lag, b.rank)
          end))
        end
        at = math.max(at, t)
      end
      for _, b in ipairs(buckets) do
        redis.call('ZADD', b.dl, int(at + grace), b.member)
      end
      result = {1, at - now, now}
    end
  else
    -- A new request goes at once if every bucket has room for it on top of the log and of
    -- every waiting ticket; otherwise it takes a ticket at the back of every line, planned
    -- for the moment its cost fits once those ahead have gone.
    local ready = true
    for _, b in ipairs(buckets) do
      if b.blocked > now or b.used + b.queued + b.cost > b.limit then ready = false end
    end
    if ready then
      for _, b in ipairs(buckets) do take(b) end
      result = {0, now}
    else
      local at = now
      for _, b in ipairs(buckets) do
        local t = b.blocked
        local tail = redis.call('ZREVRANGE', b.q, 0, 0, 'WITHSCORES')
        if tail[2] then t = math.max(t, tonumber(tail[2]) + 1) end  -- strictly in order
        if b.used + b.queued + b.cost > b.limit then
          t = math.max(t, fit_after(b, b.used + b.queued, function(down)
            return zstream(b.q, down, true, b.window, b.lag)
          end))
        end
        at = math.max(at, t)
      end
      for _, b in ipairs(buckets) do
        redis.call('ZADD', b.q, int(at), b.member)
        redis.call('ZADD', b.dl, int(at + grace), b.member)
        b.queued = b.queued + b.cost
        if b.cost ~= 1 then b.heavy = b.heavy + 1 end
      end
      result = {1, at - now, now}
    end
  end

elseif op == 'cancel' then
  -- Leave every line; a grant whose reply the caller never read goes back.
  if extra == 1 then redis.call('SET', KEYS[1], '1', 'PX', int(grace / 1000 + 10000)) end
  for _, b in ipairs(buckets) do
    load(b)
    leave_queue(b)
    if redis.call('ZREM', b.log, b.member) == 1 then b.used = b.used - b.cost end
  end

elseif op == 'settle' then
  -- The response is back: count the request for a full period from now if that ends
  -- later than its entry does; after its end, it counts again.
  for _, b in ipairs(buckets) do
    load(b)
    local ends = now + b.period
    local score = redis.call('ZSCORE', b.log, b.member)
    if not score then
      redis.call('ZADD', b.log, int(ends), b.member)
      b.used = b.used + b.cost
    elseif tonumber(score) < ends then
      redis.call('ZADD', b.log, int(ends), b.member)
    end
  end

elseif op == 'record' then
  -- Grants made in a process's memory while Redis was away: each bucket's cost counts
  -- until now + extra, on top of whatever is there (a sum, unlike feedback).
  for _, b in ipairs(buckets) do
    load(b)
    redis.call('ZADD', b.log, int(now + extra), b.member)
    b.used = b.used + b.cost
  end

elseif op == 'feedback' then
  -- Raise the count to the venue's figure, never lower it.
  local b = buckets[1]
  load(b)
  if extra > b.used then
    redis.call('ZADD', b.log, int(now + b.window), id .. '|' .. int(extra - b.used))
    b.used = extra
  end

elseif op == 'block' then
  -- Grant nothing before now + extra; only ever extends. The key expires with the block.
  local b = buckets[1]
  local ends = now + extra
  local current = tonumber(redis.call('GET', b.block)) or 0
  if ends > current then
    redis.call('SET', b.block, int(ends), 'PX', int(math.ceil(extra / 1000)))
  end
  return result

else
  return redis.error_reply('venuekit rate limiter: unknown op ' .. tostring(op))
end

for _, b in ipairs(buckets) do save(b) end
return result
