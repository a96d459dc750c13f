-- wrk script: signed-in admins POST the commit form, each request a different organization.
--   wrk -t2 -c8 -d120s -s bench/actions/commit.lua http://127.0.0.1:PORT -- JOBS PATH CSRF T
-- JOBS has one "<sessionid> <organization id>" per line. Thread n of T takes lines n, n+T, …
-- and stops when it has run out and every POST is answered, so every organization is asked once.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  jobs_file, path, csrf = args[1], args[2], args[3]
  jobs = {}
  for line in io.lines(jobs_file) do
    local session, org = line:match("(%S+) (%S+)")
    table.insert(jobs, { session, org })
  end
  -- Every thread reads the same file; `id` and the thread count T pick this thread's share.
  step = tonumber(args[4])
  nextjob = id + 1
  statuses = {}
  posts_in_flight = 0
end

function request()
  local job = jobs[nextjob]
  if job == nil then
    -- Out of work: keep this connection busy with a request that writes nothing (a 404)
    -- until this thread's last POST is answered; stopping earlier would drop its answer.
    return wrk.format("GET", "/robots.txt")
  end
  nextjob = nextjob + step
  posts_in_flight = posts_in_flight + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "sessionid=" .. job[1] .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["Host"] = "127.0.0.1",
  }, "organization=" .. job[2] .. "&expected_turnout=3")
end

function delay()
  -- Once out of work, ask rarely: the idle 404s should not crowd the latency figures.
  if jobs[nextjob] == nil then
    return 500
  end
  return 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 404 then
    posts_in_flight = posts_in_flight - 1
  end
  if posts_in_flight == 0 and jobs[nextjob] == nil then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d: %d\n", code, n))
  end
  for _, p in ipairs({ 50, 95, 99 }) do
    io.write(string.format("latency p%d: %.1f ms\n", p, latency:percentile(p) / 1000))
  end
end
