-- wrk hook: prints the run's totals as one JSON line, so bench/run.py never
-- has to parse wrk's human-readable units.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'EISD-BENCH {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
      '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max))
end
