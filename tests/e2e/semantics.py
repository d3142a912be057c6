"""Helpers shared by the HTTP-semantics tests (conditional requests, ranges,
listings, encodings, real clients): expected validators computed from the
file system, a strict multipart/byteranges parser, curl, log polling."""

import email.utils
import os
import re
import subprocess
import time


def http_date(t):
    """IMF-fixdate for epoch seconds t."""
    return email.utils.formatdate(int(t), usegmt=True)


def expected_etag(path, suffix=None):
    """The strong ETag eisd derives from a file's identity and version:
    "<hex inode>-<hex size>-<hex mtime in ns>[-suffix]"."""
    st = os.stat(path)
    tag = f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"
    if suffix:
        tag += "-" + suffix
    return f'"{tag}"'


def set_mtime(path, t):
    """Sets atime and mtime of path to t (epoch seconds)."""
    os.utime(path, (t, t))


BOUNDARY_RE = re.compile(r'^multipart/byteranges; boundary=([0-9A-Za-z\'()+_,./:=?-]{1,70})$')
CONTENT_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def parse_multipart(body, content_type):
    """Strictly parses a multipart/byteranges body (RFC 9110 §14.6, RFC 2046
    §5.1.1). Returns [(headers dict lower-cased, first, last, total, data)].
    Each part's data length comes from its Content-Range, and the bytes
    around every part must be exactly the delimiters."""
    m = BOUNDARY_RE.match(content_type)
    assert m, f"bad multipart Content-Type {content_type!r}"
    delim = b"--" + m.group(1).encode()
    pos = 0
    if body.startswith(b"\r\n"):
        pos = 2  # an empty preamble
    assert body[pos:pos + len(delim) + 2] == delim + b"\r\n", body[:100]
    pos += len(delim) + 2
    parts = []
    while True:
        end = body.index(b"\r\n\r\n", pos)
        headers = {}
        for line in body[pos:end].split(b"\r\n"):
            name, sep, value = line.partition(b":")
            assert sep, f"bad part header {line!r}"
            key = name.decode().lower()
            assert key not in headers, f"duplicate part header {key}"
            headers[key] = value.strip().decode()
        cr = CONTENT_RANGE_RE.match(headers.get("content-range", ""))
        assert cr, f"part without a valid Content-Range: {headers}"
        first, last, total = (int(g) for g in cr.groups())
        start = end + 4
        data = body[start:start + last - first + 1]
        assert len(data) == last - first + 1, "part shorter than its Content-Range"
        parts.append((headers, first, last, total, data))
        pos = start + len(data)
        assert body[pos:pos + 2 + len(delim)] == b"\r\n" + delim, body[pos:pos + 80]
        pos += 2 + len(delim)
        if body[pos:pos + 2] == b"--":
            assert body[pos + 2:] in (b"", b"\r\n"), f"epilogue {body[pos + 2:]!r}"
            return parts
        assert body[pos:pos + 2] == b"\r\n", body[pos:pos + 40]
        pos += 2


def curl(*args, timeout=60):
    """Runs curl (never through a proxy); returns (rc, stdout, stderr)."""
    p = subprocess.run(["curl", "--noproxy", "*", "-s", "--max-time", "30"] + list(args),
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def poll_log_lines(path, n, timeout=10.0):
    """The access log's lines once it has at least n (the log is flushed
    about once a second); whatever is there after timeout."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [ln for ln in f.read().splitlines() if ln]
            if len(lines) >= n:
                return lines
        time.sleep(0.1)
    return lines


CLF_TAIL_RE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)$')


def log_status_bytes(line):
    """(request line, status, bytes) from a Common Log Format line."""
    m = CLF_TAIL_RE.search(line)
    assert m, f"not Common Log Format: {line!r}"
    b = m.group("bytes")
    return m.group("request"), int(m.group("status")), 0 if b == "-" else int(b)
