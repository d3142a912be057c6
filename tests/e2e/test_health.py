"""--health PATH: 200 while serving; from the moment a graceful stop
begins, 503 for --health-drain seconds while everything else is still
served, then the usual stop."""

import signal
import time

from conftest import req, run_eisd, wait_for

PATH = "/_health"


def health(s):
    with s.connect() as c:
        c.send(req(PATH))
        return c.read_response()


def test_health_ok_while_serving(site, start_server):
    s = start_server(site.root, "--health", PATH)
    r = health(s)
    assert r.status == 200 and r.body == b"ok\n"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    with s.connect() as c:
        c.send(req(PATH, method="HEAD"))
        r = c.read_response(head=True)
        assert r.status == 200 and r.headers["Content-Length"] == "3"


def test_health_503_from_the_stop_on(site, start_server):
    s = start_server(site.root, "--health", PATH, "--health-drain", "2")
    assert health(s).status == 200
    t0 = time.monotonic()
    s.send_signal(signal.SIGTERM)
    assert wait_for(lambda: health(s).status == 503, 1.5), "health still 200 after SIGTERM"
    r = health(s)
    assert r.status == 503 and r.body == b"stopping\n"
    # the rest is served as before, keep-alive included
    with s.connect() as c:
        for _ in range(2):
            c.send(req("/hello.txt"))
            r = c.read_response()
            assert r.status == 200 and not r.keep_alive_denied
    assert s.wait(timeout=10) == 0
    took = time.monotonic() - t0
    assert 1.8 <= took < 6, took


def test_second_signal_skips_the_drain(site, start_server):
    s = start_server(site.root, "--health", PATH, "--health-drain", "60")
    s.send_signal(signal.SIGTERM)
    assert wait_for(lambda: health(s).status == 503, 1.5)
    t0 = time.monotonic()
    s.send_signal(signal.SIGTERM)
    assert s.wait(timeout=10) == 0
    assert time.monotonic() - t0 < 3


def test_no_drain(site, start_server):
    s = start_server(site.root, "--health", PATH, "--health-drain", "0")
    t0 = time.monotonic()
    s.send_signal(signal.SIGTERM)
    assert s.wait(timeout=10) == 0
    assert time.monotonic() - t0 < 1.5


def test_health_is_public(site, start_server):
    from test_proxy import v1
    s = start_server(site.root, "--health", PATH, "--proxy-protocol", "--trusted-proxy", "127.0.0.1")
    with s.connect() as c:
        c.send(v1(src="192.0.2.1") + req(PATH))
        assert c.read_response().status == 200


def test_bad_options(site):
    rc, _, err = run_eisd(["--port", "0", "--health-drain", "2", site.root])
    assert rc == 2 and err.startswith("eisd: --health-drain needs --health PATH"), err
    rc, _, err = run_eisd(["--port", "0", "--health", "x", site.root])
    assert rc == 2 and err.startswith("eisd: invalid --health path 'x'"), err
