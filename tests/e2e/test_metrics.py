"""--metrics PATH: the Prometheus text format, parsed by Debian's
python3-prometheus-client; counters move by exactly what was sent."""

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import Conn, req
from test_proxy import v1

PATH = "/_metrics"


def scrape(s, conn=None, source=None):
    """(samples {(name, frozenset(labels)): value}, raw response bytes)."""
    own = conn is None
    c = conn or Conn(s.port, source=source)
    try:
        c.send(req(PATH))
        r = c.read_response()
    finally:
        if own:
            c.close()
    assert r.status == 200, r
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store"
    samples = {}
    for fam in text_string_to_metric_families(r.body.decode()):
        for smp in fam.samples:
            samples[(smp.name, frozenset(smp.labels.items()))] = smp.value
    return samples, len(r.head_bytes) + len(r.body)


def val(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0)


def delta(a, b, name, **labels):
    return val(b, name, **labels) - val(a, name, **labels)


def test_counters_move_exactly(site, start_server):
    # One worker: bytes and durations are counted right after a response
    # went to the kernel, so with two the client could read it and ask
    # the other worker for metrics before this one counted.
    s = start_server(site.root, "--metrics", PATH, threads=1)
    m0, m0_bytes = scrape(s)
    sent = 0
    with s.connect() as c:
        for _ in range(5):
            c.send(req("/hello.txt"))
            r = c.read_response()
            assert r.status == 200
            sent += len(r.head_bytes) + len(r.body)
        for p in ("/missing1", "/missing2"):
            c.send(req(p))
            r = c.read_response()
            assert r.status == 404
            sent += len(r.head_bytes) + len(r.body)
        c.send(req("/hello.txt", method="HEAD"))
        r = c.read_response(head=True)
        sent += len(r.head_bytes)
        c.send(req("/x", method="DELETE"))
        r = c.read_response()
        assert r.status == 405
        sent += len(r.head_bytes) + len(r.body)
    m1, _ = scrape(s)
    # the first scrape is counted after it was rendered, so it shows in m1
    assert delta(m0, m1, "eisd_http_requests_total", method="GET", code="2xx") == 5 + 1
    assert delta(m0, m1, "eisd_http_requests_total", method="GET", code="4xx") == 2
    assert delta(m0, m1, "eisd_http_requests_total", method="HEAD", code="2xx") == 1
    assert delta(m0, m1, "eisd_http_requests_total", method="DELETE", code="4xx") == 1
    assert delta(m0, m1, "eisd_http_request_duration_seconds_count") == 10
    assert delta(m0, m1, "eisd_sent_bytes_total") == m0_bytes + sent
    assert delta(m0, m1, "eisd_connections_accepted_total") == 2
    assert delta(m0, m1, "eisd_worker_requests_total", worker="0") == 10
    lookups = (delta(m0, m1, "eisd_file_cache_hits_total") +
               delta(m0, m1, "eisd_file_cache_misses_total"))
    assert lookups == 8, lookups  # 6 of hello.txt, 2 missing
    assert delta(m0, m1, "eisd_file_cache_misses_total") >= 2
    assert val(m1, "eisd_build_info", version="0.1.0") == 1
    assert abs(val(m1, "eisd_start_time_seconds") - time.time()) < 60
    assert val(m1, "eisd_stopping") == 0


def test_histogram_and_gauges(site, start_server):
    s = start_server(site.root, "--metrics", PATH, threads=2)
    with s.connect() as c:
        for _ in range(3):
            c.send(req("/hello.txt"))
            c.read_response()
        # this connection is open while we scrape on it
        m, _ = scrape(s, conn=c)
    buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in m.items()
                      if k[0] == "eisd_http_request_duration_seconds_bucket"))
    assert buckets[-1][0] == float("inf")
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets are cumulative"
    assert counts[-1] == val(m, "eisd_http_request_duration_seconds_count") == 3
    assert 0 <= val(m, "eisd_http_request_duration_seconds_sum") < 10
    assert val(m, "eisd_connections_open") == 1
    assert sum(val(m, "eisd_worker_connections", worker=str(i)) for i in range(2)) == 1
    for d in ("header", "idle", "send", "linger"):
        assert ("eisd_connections_timed_out_total", frozenset({("deadline", d)})) in m
    for r in ("ok", "failed"):
        assert ("eisd_tls_handshakes_total", frozenset({("result", r)})) in m
    assert ("eisd_http2_streams_total", frozenset()) in m


def test_timeouts_and_refusals_counted(site, start_server):
    s = start_server(site.root, "--metrics", PATH, "--header-timeout", "1",
                     "--proxy-protocol", "--trusted-proxy", "127.0.0.1")
    def scrape_pp():
        with s.connect() as c:
            c.send(v1(src="127.0.0.1"))
            return scrape(s, conn=c)[0]
    m0 = scrape_pp()
    with s.connect() as c:       # no PROXY header: refused
        c.send(req("/hello.txt"))
        assert c.closed_by_server(timeout=5)
    with s.connect() as c:       # a head that never ends: the header deadline
        c.send(v1() + b"GET / HTTP/1.1\r\n")
        r = c.read_response()
        assert r.status == 408
    m1 = scrape_pp()
    assert delta(m0, m1, "eisd_connections_refused_total", reason="proxy_protocol") == 1
    assert delta(m0, m1, "eisd_connections_timed_out_total", deadline="header") == 1
    assert delta(m0, m1, "eisd_http_requests_total", method="invalid", code="4xx") == 1


def test_loopback_only_unless_public(site, start_server):
    # the PROXY header names a client that is not on loopback
    s = start_server(site.root, "--metrics", PATH, "--proxy-protocol", "--trusted-proxy", "127.0.0.1")
    with s.connect() as c:
        c.send(v1(src="192.0.2.1") + req(PATH))
        r = c.read_response()
        assert r.status == 404, r
        assert b"eisd_" not in r.body
    p = start_server(site.root, "--metrics", PATH, "--metrics-public",
                     "--proxy-protocol", "--trusted-proxy", "127.0.0.1")
    with p.connect() as c:
        c.send(v1(src="192.0.2.1") + req(PATH))
        r = c.read_response()
        assert r.status == 200 and b"eisd_http_requests_total" in r.body


def test_metrics_path_is_exact(site, start_server):
    s = start_server(site.root, "--metrics", PATH)
    with s.connect() as c:
        for p in (PATH + "/", PATH + "x", "/_METRICS"):
            c.send(req(p))
            assert c.read_response().status == 404, p
        c.send(req(PATH, method="POST", headers=[("Content-Length", "0")]))
        assert c.read_response().status == 405


@pytest.mark.parametrize("args,msg", [
    (["--metrics-public"], "--metrics-public needs --metrics PATH"),
    (["--metrics", "metrics"], "invalid --metrics path 'metrics'"),
    (["--metrics", "/m", "--protocol", "echo"], "--metrics needs --protocol http"),
])
def test_bad_options(site, args, msg):
    from conftest import run_eisd
    rc, out, err = run_eisd(["--port", "0"] + args + ([] if "echo" in args else [site.root]))
    assert rc == 2, (rc, err)
    assert err.startswith("eisd: " + msg), err
