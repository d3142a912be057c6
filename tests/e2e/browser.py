"""Headless Chromium for the end-to-end tests, and a PNG decoder to judge
its screenshots (standard library only)."""

import os
import shutil
import signal
import struct
import subprocess
import zlib

import pytest

# Without the background-networking flags Chromium keeps trying hosts this
# closed network refuses; a fresh profile per run keeps runs independent.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--no-proxy-server",
                  "--disable-extensions", "--no-default-browser-check"]


def run_chromium(tmp_path, *args, name="run", timeout=120):
    """Runs headless Chromium with its own profile and home under tmp_path;
    returns (rc, stdout, stderr) as text. Its whole process group (started
    here) is killed afterwards, on a timeout too."""
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert os.path.exists(exe), "chromium is not installed (make deps installs it)"
    home = tmp_path / f"home-{name}"
    home.mkdir(exist_ok=True)
    cmd = [exe] + CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / f'profile-{name}'}"] + list(args)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
           "LANG": "C.UTF-8"}
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=30)
    finally:
        try:  # helpers it may have left behind, by its process group
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if timed_out:
        pytest.fail(f"chromium did not finish within {timeout}s: {err[-2000:]!r}")
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def decode_png(data):
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium
    writes): (width, height, rows), each row a list of 3-byte RGB values."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + chunk) == crc, f"bad CRC in {kind}"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert ihdr, "no IHDR"
    width, height, depth, color, _, _, interlace = ihdr
    assert depth == 8 and color in (2, 6) and interlace == 0, ihdr
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
            else:
                assert f == 0, f"bad filter {f}"
        rows.append([bytes(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows
