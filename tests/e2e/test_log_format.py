"""--log-format common|combined|json: CLF (the default), CLF plus the
quoted Referer and User-Agent (Apache/nginx "combined", what fail2ban and
log analysers read), or one JSON object per line, every string through
util/escape's JSON escaper."""

import json
import re

import pytest

from conftest import run_eisd
from semantics import poll_log_lines

CLF_RE = re.compile(r'^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] '
                    r'"(?P<req>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+)(?P<rest>.*)$')


def serve_and_log(site, start_server, tmp_path, fmt, requests):
    log = str(tmp_path / "access.log")
    args = ["--access-log", log] + (["--log-format", fmt] if fmt else [])
    # One worker: the lines come in request order.
    s = start_server(site.root, *args, quiet=False, threads=1)
    for raw in requests:
        with s.connect() as c:
            c.send(raw)
            c.read_response()
    return poll_log_lines(log, len(requests))


UA = 'Mozilla/5.0 "quoted" \\ back'
REQS = [
    b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nReferer: http://ref.example/p?q=1\r\n"
    b"User-Agent: " + UA.encode() + b"\r\n\r\n",
    b"GET /nosuch HTTP/1.0\r\n\r\n",
]


def test_common_is_the_default(site, start_server, tmp_path):
    lines = serve_and_log(site, start_server, tmp_path, None, REQS)
    assert len(lines) == 2
    m = CLF_RE.match(lines[0])
    assert m, lines[0]
    assert m["req"] == "GET /hello.txt HTTP/1.1" and m["status"] == "200"
    assert m["bytes"] == "13" and m["rest"] == ""
    assert CLF_RE.match(lines[1])["rest"] == ""


def test_combined_adds_referer_and_user_agent(site, start_server, tmp_path):
    lines = serve_and_log(site, start_server, tmp_path, "combined", REQS)
    m = CLF_RE.match(lines[0])
    assert m, lines[0]
    # Quotes and backslashes escaped as in the request line (\xHH), so a
    # header can never end the field early or forge a line.
    assert m["rest"] == ' "http://ref.example/p?q=1" "Mozilla/5.0 \\x22quoted\\x22 \\x5c back"'
    m = CLF_RE.match(lines[1])
    assert m["req"] == "GET /nosuch HTTP/1.0" and m["status"] == "404"
    assert m["rest"] == ' "-" "-"'


def test_json_one_object_per_line(site, start_server, tmp_path):
    reqs = REQS + [b"GET /a%22b HTTP/1.1\r\nHost: x\r\nUser-Agent: \xff\xfe\r\n\r\n",
                   b"BROKEN\r\n\r\n"]
    lines = serve_and_log(site, start_server, tmp_path, "json", reqs)
    assert len(lines) == 4
    objs = [json.loads(ln) for ln in lines]
    o = objs[0]
    assert set(o) == {"time", "client", "method", "target", "protocol", "status", "bytes",
                      "referer", "user_agent"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", o["time"])
    assert (o["client"], o["method"], o["target"], o["protocol"]) == \
        ("127.0.0.1", "GET", "/hello.txt", "HTTP/1.1")
    assert (o["status"], o["bytes"]) == (200, 13)
    assert o["referer"] == "http://ref.example/p?q=1" and o["user_agent"] == UA
    assert objs[1]["referer"] is None and objs[1]["user_agent"] is None
    assert objs[1]["status"] == 404 and objs[1]["protocol"] == "HTTP/1.0"
    # Bytes that are not UTF-8 become U+FFFD; the line stays valid JSON.
    assert objs[2]["user_agent"] == "\ufffd\ufffd"
    # A request that did not parse: its fields are null.
    assert objs[3]["status"] == 400 and objs[3]["method"] is None
    assert objs[3]["target"] is None and objs[3]["protocol"] is None


def test_json_for_the_file_service(site, start_service, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_service("file", "--access-log", log, "--log-format", "json", root=site.root,
                      quiet=False)
    with s.connect() as c:
        c.send(b"hello.txt\n")
        c.sock.settimeout(5)
        data = b""
        while len(data) < 13:
            chunk = c.sock.recv(4096)
            if not chunk:
                break
            data += chunk
    o = json.loads(poll_log_lines(log, 1)[0])
    assert o["method"] == "FILE" and o["target"] == "hello.txt" and o["protocol"] is None


@pytest.mark.parametrize("bad", ["xml", "", "JSON"])
def test_bad_log_format_is_usage_error(site, bad):
    rc, out, err = run_eisd(["--log-format", bad, site.root])
    assert rc == 2
    assert err.startswith("eisd: invalid --log-format") and "\n" == err[-1] and err.count("\n") == 1
