"""A real browser speaking HTTP/2 to eisd: headless Chromium loads a copy
of www/ over https (the throw-away leaf trusted by its SPKI pin) and the
page itself reports the protocol every response came over, from the
Navigation and Resource Timing entries (nextHopProtocol). ALPN picks h2;
with --no-http2 the same page reports http/1.1, so the check can fail."""

import os
import shutil
import time

import pytest

import tlscerts
from browser import run_chromium
from semantics import poll_log_lines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WWW = os.path.join(REPO, "www")

# Written in the load event (as app.js writes its marker) so --dump-dom,
# taken after load, holds it. Same-origin entries expose nextHopProtocol
# without Timing-Allow-Origin.
PROTO_JS = """\
addEventListener('load', function () {
  var nav = performance.getEntriesByType('navigation')[0];
  var res = performance.getEntriesByType('resource').map(function (e) {
    return new URL(e.name).pathname + '=' + e.nextHopProtocol;
  }).sort().join(' ');
  var p = document.createElement('p');
  p.id = 'eisd-proto';
  p.setAttribute('data-nav', nav ? nav.nextHopProtocol : 'none');
  p.setAttribute('data-res', res);
  document.body.appendChild(p);
}, { once: true });
"""

ASSETS = ("/app.js", "/eisd.png", "/proto.js", "/style.css")


def www_copy(tmp_path):
    """www/ with one more script, proto.js, loaded by index.html."""
    root = tmp_path / "www"
    shutil.copytree(WWW, root)
    (root / "proto.js").write_text(PROTO_JS)
    page = (root / "index.html").read_text()
    tag = '<script src="app.js" defer></script>'
    assert tag in page, "www/index.html no longer loads app.js"
    (root / "index.html").write_text(
        page.replace(tag, tag + '\n<script src="proto.js" defer></script>'))
    return root


def logged_requests(log, paths, timeout=10):
    """{path: request line} from the access log once every path is in it."""
    deadline = time.monotonic() + timeout
    while True:
        got = {}
        for line in poll_log_lines(log, 1, timeout=1):
            request = line.split('"')[1]
            got.setdefault(request.split()[1], request)
        if all(p in got for p in paths) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


@pytest.mark.parametrize("flags, proto, logged", [
    ((), "h2", "HTTP/2.0"),
    (("--no-http2",), "http/1.1", "HTTP/1.1"),
], ids=["h2", "no-http2"])
def test_chromium_reports_protocol(start_server, tls_certs, tmp_path, flags, proto, logged):
    root = www_copy(tmp_path)
    log = str(tmp_path / "access.log")
    s = start_server(str(root), "--access-log", log, *flags, quiet=False, tls=True)
    pin = tlscerts.spki_pin(tls_certs.path("ec.crt"))
    rc, dom, err = run_chromium(tmp_path, f"--ignore-certificate-errors-spki-list={pin}",
                                "--dump-dom", s.url("/"))
    assert rc == 0, err[-2000:]
    # The page and its assets arrived whole (app.js's own check)...
    assert '<p id="eisd-ready" data-css="ok" data-img="ok">assets loaded</p>' in dom, \
        dom[-1500:]
    # ...and the navigation and every asset came over exactly this protocol.
    want_res = " ".join(f"{p}={proto}" for p in ASSETS)
    assert f'<p id="eisd-proto" data-nav="{proto}" data-res="{want_res}"></p>' in dom, \
        dom[-1500:]
    # eisd agrees: each request is logged with the version it came over.
    paths = ("/",) + ASSETS
    got = logged_requests(log, paths)
    assert {p: got.get(p) for p in paths} == {p: f"GET {p} {logged}" for p in paths}, got
