-- wrk hook for the fairness scenario's legitimate client: each connection
-- waits the given milliseconds between one answer and its next request
-- (wrk URL -- MS), so the client asks at a modest, steady rate instead of
-- loading the server. wrk starts a request's clock when it writes it, after
-- the pause, so the latencies are those of the requests alone. The totals
-- are printed as by report.lua.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local pause_ms = 1

function init(args)
   pause_ms = tonumber(args[1]) or pause_ms
end

function delay()
   return pause_ms
end
