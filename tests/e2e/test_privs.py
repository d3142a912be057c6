"""Privileges: --user drops root after binding (all uids and gids, the
supplementary groups and every capability), --chroot confines it to the
root, failures are clear and fatal, and running as root without --user
warns once. CI runs as root; as another user the same tests check the
errors a non-root user must get."""

import os
import time
import grp
import pwd
import re
import shutil
import subprocess

import pytest

from conftest import EISD_BIN, ServerStartError, req, run_eisd

ROOT_WARNING = "eisd: warning: running as root; use --user NAME to drop privileges"
IS_ROOT = os.geteuid() == 0


def status_fields(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    out = {}
    for key in ("Uid", "Gid", "Groups", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        m = re.search(rf"^{key}:\s*(.*)$", text, re.M)
        out[key] = m.group(1).split() if m else None
    return out


def other_user():
    """A user that is not the one running the tests."""
    me = os.geteuid()
    for name in ("nobody", "daemon", "root"):
        try:
            if pwd.getpwnam(name).pw_uid != me:
                return pwd.getpwnam(name)
        except KeyError:
            pass
    raise AssertionError("no second user in the user database")


@pytest.fixture
def private_file(site):
    """A file only root may read (as non-root: only its owner)."""
    p = os.path.join(site.root, "private.txt")
    with open(p, "wb") as f:
        f.write(b"owner only\n")
    os.chmod(p, 0o600)
    return p


def one_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("eisd: "), lines
    return lines[0]


def test_user_drops_every_id_and_capability(start_server, site, private_file):
    target = other_user()
    if not IS_ROOT:
        rc, out, err = run_eisd(["--port", "0", "--quiet", "--user", target.pw_name, site.root])
        assert rc == 1, (rc, out, err)
        line = one_line(err)
        assert target.pw_name in line and "not running as root" in line
        assert out == ""
        return
    # The site must be readable by the user it will run as.
    os.chmod(site.root, 0o755)
    s = start_server(site.root, "--user", target.pw_name)
    f = status_fields(s.pid)
    assert f["Uid"] == [str(target.pw_uid)] * 4, f
    assert f["Gid"] == [str(target.pw_gid)] * 4, f
    groups = {g.gr_gid for g in grp.getgrall() if target.pw_name in g.gr_mem}
    assert set(map(int, f["Groups"])) == groups | {target.pw_gid}, f
    assert f["CapPrm"] == ["0000000000000000"] and f["CapEff"] == ["0000000000000000"], f
    assert s.stderr_text() == "", "no root warning once root is given up"
    with s.connect() as c:
        c.send(req("/hello.txt"))
        r = c.read_response()
        assert (r.status, r.body) == (200, b"hello, world\n")
        # Proof the drop is real: root could read this file.
        c.send(req("/private.txt"))
        assert c.read_response().status == 403


def test_control_root_reads_private_file(start_server, site, private_file):
    """The counterpart of the 403 above: the same file is served to a server
    that kept its (root or owner) rights, with the warning when root."""
    s = start_server(site.root)
    with s.connect() as c:
        c.send(req("/private.txt"))
        r = c.read_response()
        assert (r.status, r.body) == (200, b"owner only\n")
    if IS_ROOT:
        assert s.stderr_lines == [ROOT_WARNING], s.stderr_lines
    else:
        assert s.stderr_lines == [], s.stderr_lines


def test_user_and_chroot(start_server, site):
    target = other_user()
    if not IS_ROOT:
        rc, out, err = run_eisd(["--port", "0", "--quiet", "--user", target.pw_name, "--chroot", site.root])
        assert rc == 1, (rc, out, err)
        assert "not running as root" in one_line(err)
        return
    os.chmod(site.root, 0o755)
    # LeakSanitizer reads /proc at exit, which a chroot hides: a sanitized
    # build would hang there. Its leak check is done by every other test.
    env = dict(os.environ, TZ="XST-5:30")
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    s = start_server(site.root, "--user", target.pw_name, "--chroot", env=env)
    assert os.readlink(f"/proc/{s.pid}/root") == os.path.realpath(site.root)
    assert status_fields(s.pid)["Uid"] == [str(target.pw_uid)] * 4
    with s.connect() as c:
        c.send(req("/sub/file.txt"))
        assert c.read_response().body == b"file in sub\n"
        c.send(req("/"))
        r = c.read_response()
        assert r.status == 200 and b"root index" in r.body
        # Escapes stay refused inside the chroot too.
        c.send(req("/link_out.txt"))
        assert c.read_response().status == 403
        c.send(req("/dirlink_out/canary2.txt"))
        assert c.read_response().status in (403, 404)


def test_user_same_as_current_is_fine_when_not_root(start_server, site):
    """Non-root: --user naming oneself changes nothing and serves. (As root,
    --user root keeps root and says so.)"""
    me = pwd.getpwuid(os.geteuid()).pw_name
    s = start_server(site.root, "--user", me)
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"
    assert status_fields(s.pid)["Uid"] == [str(os.geteuid())] * 4
    want = [ROOT_WARNING] if IS_ROOT else []
    # stderr is drained by its own reader thread: the warning, written
    # before the start line, may still be on its way to stderr_lines.
    deadline = time.monotonic() + 5
    while s.stderr_lines != want and time.monotonic() < deadline:
        time.sleep(0.01)
    assert s.stderr_lines == want, s.stderr_lines


def test_unknown_user_exit_1(site):
    rc, out, err = run_eisd(["--port", "0", "--quiet", "--user", "no-such-user-eisd", site.root])
    assert rc == 1, (rc, out, err)
    assert one_line(err) == "eisd: unknown user 'no-such-user-eisd'"
    assert out == ""


def test_chroot_without_user_exit_2(site):
    rc, out, err = run_eisd(["--port", "0", "--quiet", "--chroot", site.root])
    assert rc == 2, (rc, out, err)
    assert one_line(err) == "eisd: --chroot needs --user"


@pytest.mark.parametrize("cap,step", [
    ("setuid", "cannot switch to user"),
    ("setgid", "cannot set the groups"),
], ids=["setuid", "setgid"])
def test_failed_drop_never_serves_as_root(site, cap, step):
    """Root without the capability to change ids (removed from the
    bounding set): eisd must stop with exit 1, not serve as root. As
    non-root, asking for another user is the failure."""
    target = other_user()
    if not IS_ROOT:
        rc, out, err = run_eisd(["--port", "0", "--quiet", "--user", target.pw_name, site.root])
        assert rc == 1 and "not running as root" in one_line(err)
        return
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed"
    p = subprocess.run([setpriv, f"--bounding-set=-{cap}", "--", EISD_BIN, "--port", "0", "--quiet",
                        "--user", target.pw_name, site.root],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    line = one_line(p.stderr)
    assert step in line and target.pw_name in line, line
    assert "Operation not permitted" in line
    assert p.stdout == "", "it started serving"
