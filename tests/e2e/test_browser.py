"""A real browser against eisd: headless Chromium loads www/ (the page's
script writes id="eisd-ready" only once its stylesheet applied and its
image decoded), and takes a screenshot of a --listing page, which must be
a real PNG with real content."""

import os
import time

import pytest

import tlscerts
from browser import decode_png, run_chromium
from semantics import poll_log_lines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WWW = os.path.join(REPO, "www")


@pytest.mark.over_tls
def test_page_loads_with_css_and_image(start_server, tmp_path, transport, request):
    log = str(tmp_path / "access.log")
    s = start_server(WWW, "--access-log", log, quiet=False)
    trust = []
    if transport == "tls":
        # The test certificate trusted by its key (Chromium has no CA
        # file flag; this pin works with a profile of its own).
        leaf = request.getfixturevalue("tls_certs").path("ec.crt")
        trust = [f"--ignore-certificate-errors-spki-list={tlscerts.spki_pin(leaf)}"]
    rc, dom, err = run_chromium(tmp_path, *trust, "--dump-dom", s.url("/"))
    assert rc == 0, err[-2000:]
    assert "<title>eisd" in dom, dom[:500]
    assert '<p id="eisd-ready" data-css="ok" data-img="ok">assets loaded</p>' in dom, \
        dom[-1500:]
    assert "eisd-failed" not in dom
    # And every asset really came from eisd, whole.
    want = {}
    for path, name in (("/", "index.html"), ("/style.css", "style.css"),
                       ("/app.js", "app.js"), ("/eisd.png", "eisd.png")):
        want[path] = ["200", str(os.path.getsize(os.path.join(WWW, name)))]
    deadline = time.monotonic() + 10
    while True:
        got = {}
        for line in poll_log_lines(log, 1, timeout=1):
            request = line.split('"')[1]
            got.setdefault(request.split()[1], line.rsplit(" ", 2)[1:])
        if all(p in got for p in want) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {p: got.get(p) for p in want} == want, got


def test_listing_screenshot(site, start_server, tmp_path):
    d = os.path.join(site.root, "files")
    os.mkdir(d)
    os.mkdir(os.path.join(d, "photos"))
    for i, name in enumerate(["report.pdf", "notes.txt", "data.csv", "archive.tar.gz",
                              "<b>x&y<b>\"q'.txt"]):
        with open(os.path.join(d, name), "wb") as f:
            f.write(b"x" * (i * 1500 + 10))
    s = start_server(site.root, "--listing")
    shot = tmp_path / "listing.png"
    rc, _, err = run_chromium(tmp_path, "--window-size=800,600", "--hide-scrollbars",
                          f"--screenshot={shot}", s.url("/files/"))
    assert rc == 0, err[-2000:]
    data = shot.read_bytes()
    assert len(data) > 5000, "screenshot suspiciously small"
    width, height, rows = decode_png(data)
    assert (width, height) == (800, 600)
    # Non-trivial: many colours (anti-aliased text, links, rules), and a
    # fair share of pixels that are not the background.
    counts = {}
    for row in rows:
        for px in row:
            counts[px] = counts.get(px, 0) + 1
    background, bg_count = max(counts.items(), key=lambda kv: kv[1])
    assert len(counts) >= 16, f"only {len(counts)} colours"
    assert bg_count < 0.99 * width * height, "the page is nearly blank"
    # Something is drawn in each of the top rows of the table, where the
    # heading and the first entries are: not a blank or error page.
    inked_rows = sum(1 for row in rows[:300] if any(px != background for px in row))
    assert inked_rows >= 60, inked_rows


def test_password_protected_page_with_credentials(start_server, tmp_path):
    # Chromium given user:password in the URL answers the 401 challenge
    # with them; the page's stylesheet, behind the same --auth prefix,
    # loads with the credentials the browser then keeps for the realm.
    import subprocess
    root = tmp_path / "site"
    (root / "private").mkdir(parents=True)
    (root / "private" / "index.html").write_text(
        "<!doctype html><html><head><title>members</title>"
        "<link rel=stylesheet href=style.css></head><body><p id=p>MEMBERS-ONLY</p>"
        "<script>addEventListener('load',()=>{const c=getComputedStyle("
        "document.getElementById('p')).color;document.body.insertAdjacentHTML("
        "'beforeend','<p id=css>color='+c+'</p>')})</script></body></html>\n")
    (root / "private" / "style.css").write_text("#p{color:rgb(1, 2, 3)}\n")
    pw = subprocess.run(["htpasswd", "-nbB", "-C", "5", "alice", "wonder land"], check=True,
                        capture_output=True, text=True).stdout.strip()
    (tmp_path / "users").write_text(pw + "\n")
    log = str(tmp_path / "access.log")
    s = start_server(str(root), "--auth-file", str(tmp_path / "users"), "--auth", "/private/",
                     "--access-log", log, quiet=False)
    url = f"http://alice:wonder%20land@127.0.0.1:{s.port}/private/"
    rc, dom, err = run_chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", url)
    assert rc == 0, err[-2000:]
    assert "MEMBERS-ONLY" in dom, dom[:800]
    assert "<p id=\"css\">color=rgb(1, 2, 3)</p>" in dom, dom[-800:]
    # The browser asked without, got the challenge, asked again with them.
    lines = poll_log_lines(log, 3, timeout=10)
    page = [l.rsplit(" ", 2)[1] for l in lines if '"GET /private/ ' in l]
    assert page == ["401", "200"], lines
    css = [l.rsplit(" ", 2)[1] for l in lines if "style.css" in l]
    assert css and css[-1] == "200" and set(css) <= {"401", "200"}, lines
    assert "wonder" not in open(log).read()
    # Without credentials the page never shows.
    rc, dom, err = run_chromium(tmp_path, "--dump-dom", s.url("/private/"), name="anon")
    assert rc == 0, err[-2000:]
    assert "MEMBERS-ONLY" not in dom, dom[:800]


def test_spa_deep_link(start_server, tmp_path):
    # --fallback: a deep link loads the app's entry page with 200, and its
    # script sees the path it was opened at.
    root = tmp_path / "spa"
    root.mkdir()
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>spa</title><script src=/app.js></script>"
        "</head><body><div id=app></div></body></html>\n")
    (root / "app.js").write_text(
        "addEventListener('DOMContentLoaded',()=>{document.getElementById('app')"
        ".textContent='route='+location.pathname})\n")
    log = str(tmp_path / "access.log")
    s = start_server(str(root), "--fallback", "/index.html", "--access-log", log, quiet=False)
    rc, dom, err = run_chromium(tmp_path, "--dump-dom", s.url("/users/42/settings"))
    assert rc == 0, err[-2000:]
    assert '<div id="app">route=/users/42/settings</div>' in dom, dom[-800:]
    lines = poll_log_lines(log, 2, timeout=10)
    got = {l.split('"')[1].split()[1]: l.rsplit(" ", 2)[1] for l in lines}
    assert got.get("/users/42/settings") == "200" and got.get("/app.js") == "200", lines
