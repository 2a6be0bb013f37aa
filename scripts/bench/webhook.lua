-- scripts/bench/webhook.lua: the wrk script of `make bench` (scripts/bench.sh, section "ingest").
--
-- Every request POSTs a community webhook (Content-Type: application/json) with a body no other request of the
-- run sends, so ingest-api can never answer "duplicate":
--   {"userId":"<thread>-<n>","username":"bench","profileField":"Job Title",
--    "value":"Vice President of Sales <n>","oldValue":null}
-- <thread> is numbered in setup() (one per wrk thread), <n> is that thread's own request counter.
-- Responses are counted per thread (2xx, non-2xx by status); done() prints the totals, including one line
--   PF_RESULT ok2xx=<n> non2xx=<n> requests=<n> duration_us=<n> socket_errors=<n>
-- that scripts/bench.sh parses.

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state; `tid` was set by setup).
counter = 0
ok2xx = 0
non2xx = 0
statuses = {}

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"userId":"%d-%d","username":"bench","profileField":"Job Title","value":"Vice President of Sales %d","oldValue":null}',
      tid, counter, counter)
   return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok2xx = ok2xx + 1
   else
      non2xx = non2xx + 1
      local key = tostring(status)
      statuses[key] = (statuses[key] or 0) + 1
   end
end

function done(summary, latency, requests)
   local ok, bad, by_status = 0, 0, {}
   for _, thread in ipairs(threads) do
      ok = ok + thread:get("ok2xx")
      bad = bad + thread:get("non2xx")
      for status, n in pairs(thread:get("statuses")) do
         by_status[status] = (by_status[status] or 0) + n
      end
   end
   local e = summary.errors
   local socket_errors = e.connect + e.read + e.write + e.timeout
   local parts = {}
   for status, n in pairs(by_status) do
      table.insert(parts, status .. "=" .. n)
   end
   table.sort(parts)
   io.write(string.format("2xx responses: %d, non-2xx responses: %d%s\n", ok, bad,
      #parts > 0 and (" (" .. table.concat(parts, ", ") .. ")") or ""))
   io.write(string.format("PF_RESULT ok2xx=%d non2xx=%d requests=%d duration_us=%d socket_errors=%d\n",
      ok, bad, summary.requests, summary.duration, socket_errors))
end
