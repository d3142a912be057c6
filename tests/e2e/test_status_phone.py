"""The status page on a phone: headless Chromium renders it 390 px wide
(an iframe of that width, so the page's own media queries apply; scroll
bars overlay the page, as on a phone) and the page must not scroll
sideways: the document's scrollWidth stays within 390, and so does the
clients table's box, with clients listed. Also one consistent snapshot:
open == connected, peak >= open, and each client's state."""

import json

from browser import run_chromium
from conftest import req

STATUS = "/_status"

PHONE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"></head><body style="margin:0">
<iframe id="f" src="%s" style="border:0;width:390px;height:844px"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, t = d.getElementById("clients");
  var p = document.createElement("p");
  p.id = "measured";
  p.setAttribute("data-doc", d.documentElement.scrollWidth);
  p.setAttribute("data-view", d.documentElement.clientWidth);
  p.setAttribute("data-box", t.parentNode.scrollWidth);
  p.setAttribute("data-boxview", t.parentNode.clientWidth);
  p.setAttribute("data-rows", t.tBodies[0].rows.length);
  document.body.appendChild(p);
});
</script></body></html>
""" % STATUS


def test_status_fits_a_phone(site, start_server, tmp_path):
    with open(f"{site.root}/phone.html", "w") as f:
        f.write(PHONE_HTML)
    s = start_server(site.root, "--status", STATUS)
    idle = [s.connect() for _ in range(4)]
    try:
        for c in idle:
            c.send(req("/a.txt"))
            c.read_response()
        rc, dom, err = run_chromium(tmp_path, "--window-size=390,844", "--hide-scrollbars",
                                    "--virtual-time-budget=3000", "--dump-dom",
                                    s.url("/phone.html"))
        assert rc == 0, err[-2000:]
        assert 'id="measured"' in dom, dom[-2000:]
        tag = dom.split('id="measured"', 1)[1].split(">", 1)[0]
        attrs = dict(kv.split("=", 1) for kv in tag.split())
        got = {k: int(v.strip('"')) for k, v in attrs.items() if k.startswith("data-")}
        assert got["data-view"] == 390, got
        assert got["data-doc"] <= 390, f"page scrolls sideways on a phone: {got}"
        assert got["data-box"] <= got["data-boxview"], f"clients table wider than the screen: {got}"
        assert got["data-rows"] >= 4, got
    finally:
        for c in idle:
            c.close()


def test_snapshot_is_consistent(site, start_server):
    s = start_server(site.root, "--status", STATUS)
    conns = [s.connect() for _ in range(6)]
    try:
        for c in conns:
            c.send(req("/a.txt"))
            c.read_response()
        for _ in range(20):
            with s.connect() as c:
                c.send(req(STATUS + "?format=json"))
                j = json.loads(c.read_response().body)
                me = c.sock.getsockname()[1]
            assert j["connections"] == j["clients"] == len(j["client_list"]), j
            assert j["peak_connections"] >= j["connections"], j
        by_port = {c["port"]: c for c in j["client_list"]}
        # the six kept-alive clients are idle after one request each; the
        # one asking is reading (its own request counted); an earlier
        # asker may still be on its way out
        for c in conns:
            got = by_port[c.sock.getsockname()[1]]
            assert (got["state"], got["requests"]) == ("idle", 1), got
        assert (by_port[me]["state"], by_port[me]["requests"]) == ("reading", 1), by_port[me]
    finally:
        for c in conns:
            c.close()
