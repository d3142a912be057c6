"""A log nobody reads never stops the server (issue 16 item 1): with the
access log (stdout) or stderr a pipe held open and never read, every
request is still answered, the SIGUSR1 report never blocks the signal
path, lines that cannot be written are dropped and counted (status report,
one notice on stderr when dropping starts and one when it stops), and
SIGTERM completes within --shutdown-grace + 1 s."""

import json
import re
import signal
import time

from conftest import Conn, fetch, req

STATUS = "/_status"
GRACE = 1


def get_json(server):
    r = fetch(server, STATUS + "?format=json")
    assert r.status == 200, r
    return json.loads(r.body)


def serve_many(server, n, conns=4, path="/a.txt", body=b"AAAA file a\n"):
    """n requests over a few keep-alive connections, 50 pipelined at a
    time; every one must be answered with body."""
    cs = [server.connect() for _ in range(conns)]
    try:
        done = 0
        while done < n:
            for c in cs:
                k = min(50, n - done)
                if k <= 0:
                    break
                c.send(req(path) * k)
                for _ in range(k):
                    r = c.read_response()
                    assert r.status == 200 and r.body == body, r
                done += k
    finally:
        for c in cs:
            c.close()
    return done


def wait_until(cond, what, timeout=10.0, step=None):
    """Polls cond() (doing step() between tries) until true; bounded."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if step:
            step()
        else:
            time.sleep(0.02)


def stop_timed(server):
    t0 = time.monotonic()
    server.send_signal(signal.SIGTERM)
    rc = server.wait(timeout=GRACE + 5)
    took = time.monotonic() - t0
    assert rc == 0, f"exit status {rc} after {took:.1f}s (None: still running)"
    assert took <= GRACE + 1, f"SIGTERM took {took:.2f}s (grace {GRACE}s)"
    return took


DROP_START = "eisd: access log: the reader is not keeping up; dropping lines"
DROP_STOP_RE = re.compile(r"eisd: access log: writing again; (\d+) lines dropped$")


def test_unread_stdout_never_stops_the_server(site, start_server):
    s = start_server(site.root, "--status", STATUS, "--shutdown-grace", str(GRACE),
                     quiet=False, stall=("stdout",))
    # A 64 KiB pipe and two 32 KiB worker buffers hold about 1,500 lines:
    # without non-blocking writes the workers stop after that.
    assert serve_many(s, 2000) == 2000
    j = get_json(s)
    assert j["log_lines_dropped"] > 0, j
    assert j["stderr_messages_dropped"] == 0, j
    html = fetch(s, STATUS + "?format=html").body.decode()
    m = re.search(r'<th scope="row">Access-log lines dropped</th><td[^>]*>(\d+)</td>', html)
    assert m and int(m.group(1)) >= j["log_lines_dropped"], html
    assert s.stderr_text().count(DROP_START) == 1, s.stderr_text()

    # The reader comes back: lines flow again, and one notice says how
    # many were lost (the count the status report gives, or more).
    s.resume("stdout")
    wait_until(lambda: DROP_STOP_RE.search(s.stderr_text()) is not None,
               "the 'writing again' notice", step=lambda: serve_many(s, 20, conns=1))
    dropped = int(DROP_STOP_RE.search(s.stderr_text()).group(1))
    assert dropped >= j["log_lines_dropped"]
    assert s.stderr_text().count(DROP_START) == 1
    assert len(DROP_STOP_RE.findall(s.stderr_text())) == 1
    # Whole lines only: every access-log line that got through is intact.
    log = [ln for ln in s.stdout_lines[1:] if ln]
    assert log and all(re.match(r'^127\.0\.0\.1 - - \[[^]]+\] "GET /\S* HTTP/1\.1" \d{3} \d+$', ln)
                       for ln in log), [ln for ln in log if not ln.startswith("127.0.0.1 - - [")][:3]
    stop_timed(s)


def test_sigterm_in_time_with_stdout_and_stderr_unread(site, start_server):
    s = start_server(site.root, "--shutdown-grace", str(GRACE), quiet=False,
                     stall=("stdout", "stderr"))
    assert serve_many(s, 2000) == 2000
    # A client that stops reading a large file keeps its worker until the
    # grace period ends: the exit still comes within grace + 1 s.
    with open(f"{site.root}/big.bin", "wb") as f:
        f.write(b"x" * (32 << 20))
    stuck = Conn(s.port, rcvbuf=4096)
    stuck.send(req("/big.bin"))
    stuck.sock.recv(100)
    idle = s.connect()
    try:
        stop_timed(s)
    finally:
        stuck.close()
        idle.close()


def answered_clients(s, n):
    """n open connections, each with one request answered: each makes a
    status report longer."""
    clients = [s.connect() for _ in range(n)]
    for c in clients:
        c.send(req("/a.txt"))
        assert c.read_response().status == 200
    return clients


def drop_reports(s, per_round):
    """SIGUSR1s, per_round at a time, until the stalled stderr has dropped
    a report. Each signal is taken before the next status request is
    answered or not at all (signals of one kind merge): each round waits
    for the main thread through a request that needs nothing."""
    sent = 0
    while get_json(s)["stderr_messages_dropped"] == 0:
        assert sent < 2000, "no report was ever dropped"
        for _ in range(per_round):
            s.send_signal(signal.SIGUSR1)
            sent += 1
        fetch(s, "/a.txt")


def test_unread_stderr_never_blocks_the_status_report(site, start_server):
    s = start_server(site.root, "--status", STATUS, "--shutdown-grace", str(GRACE),
                     stall=("stderr",))
    # 100 open clients make each report about 9 KB, so a 64 KiB pipe is
    # full after a few: the next ones must be dropped, not block the
    # thread that takes SIGTERM.
    clients = answered_clients(s, 100)
    try:
        drop_reports(s, 10)
        assert serve_many(s, 2000) == 2000
    finally:
        for c in clients:
            c.close()
    stop_timed(s)


def test_stderr_says_when_it_writes_again(site, start_server):
    s = start_server(site.root, "--status", STATUS, stall=("stderr",))
    clients = answered_clients(s, 100)
    try:
        drop_reports(s, 1)
    finally:
        for c in clients:
            c.close()
    s.resume("stderr")
    notice = re.compile(r"eisd: standard error: writing again; (\d+) messages dropped$", re.M)
    wait_until(lambda: notice.search(s.stderr_text()) is not None,
               "the 'writing again' notice on stderr",
               step=lambda: (s.send_signal(signal.SIGUSR1), fetch(s, "/a.txt")))
    assert int(notice.search(s.stderr_text()).group(1)) >= 1
    # Every report that got through is whole JSON.
    reports = [ln for ln in s.stderr_lines if ln.startswith("{")]
    assert reports and all(json.loads(ln)["running"] for ln in reports)
