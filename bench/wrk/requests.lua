-- wrk script for the Frontdesk benchmark suite (bench/load.py writes its input).
--
-- Usage: wrk -s bench/wrk/requests.lua URL -- REQUESTS_FILE
-- REQUESTS_FILE has one line per header ("H<TAB>name<TAB>value"), sent with every request,
-- and one line per request ("R<TAB>METHOD<TAB>PATH<TAB>BODY", BODY optional, no tabs
-- or newlines in it). Each connection's requests cycle through the list, so a list of
-- random ticket ids or of distinct new tickets keeps varying for the whole run.
-- `done` prints one JSON line, prefixed with WRK_JSON, that bench/load.py reads.

local headers = {}
local specs = {}
local prepared = {}
local counter = 0
local threads_seen = 0

function setup(thread)
   thread:set("thread_index", threads_seen)
   threads_seen = threads_seen + 1
end

local function split(line)
   local fields = {}
   for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, field)
   end
   return fields
end

function init(args)
   for line in io.lines(args[1]) do
      local f = split(line)
      if f[1] == "H" then
         headers[f[2]] = f[3]
      elseif f[1] == "R" then
         table.insert(specs, { method = f[2], path = f[3], body = f[4] })
      end
   end
   for i, spec in ipairs(specs) do
      local h = {}
      for name, value in pairs(headers) do h[name] = value end
      local body = nil
      if spec.body ~= nil and spec.body ~= "" then
         body = spec.body
         h["Content-Type"] = h["Content-Type"] or "application/json"
      end
      prepared[i] = wrk.format(spec.method, spec.path, h, body)
   end
   -- threads start at different places in the list
   counter = (thread_index or 0) * 997
end

function request()
   counter = counter + 1
   return prepared[(counter % #prepared) + 1]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max))
end
