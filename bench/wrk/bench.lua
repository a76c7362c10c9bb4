-- One benchmark row for wrk: a request kind, with per-request ids and the bearer header.
--
-- Environment (set by bench/commands.py):
--   BENCH_METHOD, BENCH_PATH   the request; "{id}" in the path takes the next prepared id
--   BENCH_BODY                 a JSON body (empty: none)
--   BENCH_AUTH                 the Authorization header value (empty: none)
--   BENCH_IDS                  a file of ids, one a line, shared out between the threads
--   BENCH_THREADS              wrk's thread count (to share the ids out)
--   BENCH_CYCLE                "1": start the ids again when used up (reads); else, once used up,
--                              send GET /healthz and count it as a fallback (the row is then flagged)
--   BENCH_OUT                  a file prefix: the id of every 2xx answer is written to PREFIX.<thread>
-- done() prints one line "BENCH {json}" with the counts and latency percentiles (microseconds), and
-- "BENCHSAMPLE <status> <body>" for the first refused answer, if any.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   method = os.getenv("BENCH_METHOD") or "GET"
   path = os.getenv("BENCH_PATH") or "/"
   needs_id = string.find(path, "{id}", 1, true) ~= nil
   body = os.getenv("BENCH_BODY")
   if body == "" then body = nil end
   headers = {}
   local auth = os.getenv("BENCH_AUTH")
   if auth ~= nil and auth ~= "" then headers["Authorization"] = auth end
   if body ~= nil then headers["Content-Type"] = "application/json" end
   cycle = os.getenv("BENCH_CYCLE") == "1"
   ids = {}
   local file = os.getenv("BENCH_IDS")
   local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
   if file ~= nil and file ~= "" then
      local i = 0
      for line in io.lines(file) do
         if i % nthreads == tid then table.insert(ids, line) end
         i = i + 1
      end
   end
   nxt = 1
   fallback = 0
   bad = 0
   sample = ""
   local out = os.getenv("BENCH_OUT")
   if out ~= nil and out ~= "" then outf = io.open(out .. "." .. tid, "w") end
   plain = wrk.format(method, path, headers, body)
   spare = wrk.format("GET", "/healthz")
end

function request()
   if not needs_id then return plain end
   if nxt > #ids then
      if cycle and #ids > 0 then
         nxt = 1
      else
         fallback = fallback + 1
         return spare
      end
   end
   local p = string.gsub(path, "{id}", ids[nxt])
   nxt = nxt + 1
   return wrk.format(method, p, headers, body)
end

function response(status, hdrs, text)
   if status < 200 or status >= 300 then
      bad = bad + 1
      if sample == "" then sample = status .. " " .. string.sub(text or "", 1, 160) end
   elseif outf ~= nil then
      local id = string.match(text or "", '"id":"([%x%-]+)"')
      if id ~= nil then
         outf:write(id, "\n")
         outf:flush()
      end
   end
end

function done(summary, latency, requests)
   local fb, refused, first = 0, 0, ""
   for _, t in ipairs(threads) do
      fb = fb + (t:get("fallback") or 0)
      refused = refused + (t:get("bad") or 0)
      local s = t:get("sample")
      if first == "" and s ~= nil and s ~= "" then first = s end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
      '"p50_us":%d,"p99_us":%d,"max_us":%d,"fallback":%d,"refused":%d}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max, fb, refused))
   if first ~= "" then io.write("BENCHSAMPLE ", (string.gsub(first, "\n", " ")), "\n") end
end
