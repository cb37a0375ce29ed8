-- wrk script of bench/e2e_bench.py: one endpoint per run, configured by environment variables.
--
--   E2E_METHOD    GET, POST, PUT, DELETE
--   E2E_PATH      path and query, with placeholders (below)
--   E2E_BODY      request body with the same placeholders ("" for none)
--   E2E_HEADERS   extra headers, one "Name: value" per line
--   E2E_MODE      "random": every request picks a random order index in [E2E_LO, E2E_HI]
--                 "fresh":  every request takes an order index nobody used before: thread t of
--                           T takes E2E_LO + t, E2E_LO + t + T, E2E_LO + t + 2T, ... up to E2E_HI
--   E2E_LO/E2E_HI the order indexes this run may use (inclusive)
--   E2E_THREADS   wrk's thread count (T above)
--   E2E_BASE      order number = E2E_BASE + index
--   E2E_EXPECT    the accepted statuses, comma-separated ("200" or "201,200")
--   E2E_MUST      a text every accepted body contains ("" for no check)
--   E2E_MUST_NOT  a text no accepted body contains ("" for no check)
--
-- Placeholders: {number} the order number, {number_last} the number E2E_SPAN - 1 orders later,
-- {tray} the order's tray (its index), {po} its PO number, {item} its first item's id.
--
-- done() prints one "E2E key=value" line per figure for bench/e2e_bench.py to read.

local cfg = {}
local threads = {}

local function env(name, default)
   local value = os.getenv(name)
   if value == nil then
      return default
   end
   return value
end

local function load_config()
   cfg.method = env("E2E_METHOD", "GET")
   cfg.path = env("E2E_PATH", "/")
   cfg.body = env("E2E_BODY", "")
   cfg.mode = env("E2E_MODE", "random")
   cfg.lo = tonumber(env("E2E_LO", "1"))
   cfg.hi = tonumber(env("E2E_HI", "1"))
   cfg.threads = tonumber(env("E2E_THREADS", "1"))
   cfg.base = tonumber(env("E2E_BASE", "0"))
   cfg.span = tonumber(env("E2E_SPAN", "1"))
   cfg.must = env("E2E_MUST", "")
   cfg.must_not = env("E2E_MUST_NOT", "")
   cfg.expect = {}
   for code in string.gmatch(env("E2E_EXPECT", "200"), "%d+") do
      cfg.expect[tonumber(code)] = true
   end
   cfg.headers = {}
   for line in string.gmatch(env("E2E_HEADERS", ""), "[^\n]+") do
      local name, value = string.match(line, "^([^:]+):%s*(.*)$")
      if name then
         cfg.headers[name] = value
      end
   end
end

load_config()

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

-- Per-thread state (each thread has its own Lua state).
issued = 0      -- requests built
checked = 0     -- responses seen
bad = 0         -- responses with an unexpected status or body
exhausted = 0   -- "fresh" requests that found no unused order left (sent to the last one)
statuses = ""   -- "status:count,..." of every response
sample = ""     -- the first unexpected response, shortened
local counts = {}

function init(args)
   math.randomseed(os.time() * 1000 + tid * 7919)
end

local function fill(template, index)
   local number = cfg.base + index
   return (string.gsub(template, "{([%w_]+)}", {
      number = tostring(number),
      number_last = tostring(number + cfg.span - 1),
      tray = tostring(index),
      po = string.format("PO%08d", index),
      item = tostring(2 * index - 1),
   }))
end

function request()
   local index
   if cfg.mode == "fresh" then
      index = cfg.lo + tid + cfg.threads * issued
      if index > cfg.hi then
         exhausted = exhausted + 1
         index = cfg.hi
      end
   else
      index = math.random(cfg.lo, cfg.hi)
   end
   issued = issued + 1
   local body = nil
   if cfg.body ~= "" then
      body = fill(cfg.body, index)
   end
   local headers = {}
   for name, value in pairs(cfg.headers) do
      headers[name] = value
   end
   return wrk.format(cfg.method, fill(cfg.path, index), headers, body)
end

function response(status, headers, body)
   checked = checked + 1
   counts[status] = (counts[status] or 0) + 1
   local ok = cfg.expect[status] == true
   if ok and cfg.must ~= "" then
      ok = body ~= nil and string.find(body, cfg.must, 1, true) ~= nil
   end
   if ok and cfg.must_not ~= "" then
      ok = body == nil or string.find(body, cfg.must_not, 1, true) == nil
   end
   if not ok then
      bad = bad + 1
      if sample == "" then
         sample = status .. " " .. string.gsub(string.sub(body or "", 1, 300), "%s+", " ")
      end
   end
   local parts = {}
   for code, n in pairs(counts) do
      table.insert(parts, code .. ":" .. n)
   end
   statuses = table.concat(parts, ",")
end

function done(summary, latency, requests)
   local function out(key, value)
      io.write(string.format("E2E %s=%s\n", key, tostring(value)))
   end
   out("requests", summary.requests)
   out("duration_us", summary.duration)
   out("bytes", summary.bytes)
   out("errors_connect", summary.errors.connect)
   out("errors_read", summary.errors.read)
   out("errors_write", summary.errors.write)
   out("errors_status", summary.errors.status)
   out("errors_timeout", summary.errors.timeout)
   out("latency_min_us", latency.min)
   out("latency_max_us", latency.max)
   out("latency_mean_us", string.format("%.1f", latency.mean))
   for _, p in ipairs({50, 75, 90, 99, 99.9}) do
      out("latency_p" .. p .. "_us", latency:percentile(p))
   end
   local total = {issued = 0, checked = 0, bad = 0, exhausted = 0, max_issued = 0}
   local merged = {}
   for _, thread in ipairs(threads) do
      local n = thread:get("issued")
      total.issued = total.issued + n
      total.max_issued = math.max(total.max_issued, n)
      total.checked = total.checked + thread:get("checked")
      total.bad = total.bad + thread:get("bad")
      total.exhausted = total.exhausted + thread:get("exhausted")
      for code, count in string.gmatch(thread:get("statuses"), "(%d+):(%d+)") do
         merged[code] = (merged[code] or 0) + tonumber(count)
      end
      local s = thread:get("sample")
      if s ~= "" and total.sample == nil then
         total.sample = s
      end
   end
   for key, value in pairs(total) do
      out(key, value)
   end
   local parts = {}
   for code, count in pairs(merged) do
      table.insert(parts, code .. ":" .. count)
   end
   table.sort(parts)
   out("statuses", table.concat(parts, ","))
end
