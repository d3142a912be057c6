"""make tls-audit: Debian's testssl.sh against a local eisd over TLS with
throw-away certificates (the test CA added as trusted). Fails when any
finding is rated HIGH or CRITICAL; prints every finding of MEDIUM and up.
Stops the server by PID whatever happens."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
import tlscerts  # noqa: E402

EISD = os.environ.get("EISD_BIN", os.path.join(os.path.dirname(__file__), "..", "eisd"))


def main():
    leaf = sys.argv[1] if len(sys.argv) > 1 else "ec"
    with tempfile.TemporaryDirectory() as d:
        certs = tlscerts.make_certs(os.path.join(d, "certs"))
        root = os.path.join(d, "www")
        os.mkdir(root)
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write("<!doctype html><title>audit</title>\n")
        p = subprocess.Popen([EISD, "--port", "0", "--quiet", "--hsts", "31536000",
                              *certs.pair(leaf), root], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            line = p.stdout.readline().decode()
            m = re.search(r"https://127\.0\.0\.1:(\d+)/", line)
            if not m:
                print(f"tls-audit: eisd did not start: {line!r}")
                return 1
            port = m.group(1)
            out = os.path.join(d, "testssl.json")
            subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off",
                            "--add-ca", certs.ca, "--jsonfile", out, "--severity", "LOW",
                            f"localhost:{port}"], stdout=subprocess.DEVNULL, timeout=1200)
            with open(out) as f:
                findings = json.load(f)
        finally:
            os.kill(p.pid, signal.SIGTERM)
            p.wait(timeout=10)
    bad = 0
    for x in findings:
        sev = x.get("severity", "")
        if sev in ("MEDIUM", "HIGH", "CRITICAL"):
            print(f"tls-audit: {sev:8} {x.get('id')}: {x.get('finding')}")
        if sev in ("HIGH", "CRITICAL"):
            bad += 1
    print(f"tls-audit ({leaf}): {len(findings)} findings of LOW and up, {bad} HIGH/CRITICAL")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
