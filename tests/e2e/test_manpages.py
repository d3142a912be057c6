"""The man pages document every option: each option that `eisd --help`
(`eisc --help`) shows must be an item of the OPTIONS section of
man/eisd.1 (man/eisc.1). Only the --help output is read, so the test holds
whatever code prints it."""

import os
import re
import subprocess

import pytest

from conftest import EISD_BIN, EISC_BIN

MAN_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "man"))

# An option as --help prints it: "-p", "--max-request-bytes" (a value
# after a space or "=" is not part of it). Not preceded by a word character
# or a dash, so "keep-alive" or "a--b" inside a description is no option.
HELP_OPT_RE = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[A-Za-z0-9])(?![\w-])")


def help_options(binary):
    """Every option token of `binary --help`, in order of appearance."""
    p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, (p.returncode, p.stderr)
    opts = []
    for line in p.stdout.splitlines():
        # Descriptions may name another option ("sets the three timeouts
        # above"); only the part before the description counts: up to the
        # first run of two spaces after the option column starts.
        m = re.match(r"^\s*(-\S.*?)(?:\s{2,}|$)", line)
        if not m:
            continue
        for o in HELP_OPT_RE.findall(m.group(1)):
            if o not in opts:
                opts.append(o)
    return opts


def roff_plain(s):
    """Roff source text as it reads: escapes for dashes, fonts, quotes
    and non-breaking marks removed."""
    s = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", s)
    s = s.replace("\\-", "-").replace("\\%", "").replace("\\&", "").replace("\\ ", " ")
    s = s.replace("\\(aq", "'")
    s = re.sub(r"^\.\w+\s*", "", s)  # a font macro such as .BR / .BI
    return s.replace('"', "")


def man_options(page):
    """The options that head an item (.TP tag line) in the OPTIONS section."""
    with open(os.path.join(MAN_DIR, page), encoding="utf-8") as f:
        lines = f.read().splitlines()
    opts, in_options = set(), False
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            in_options = line.split(None, 1)[1].strip('"') == "OPTIONS" if " " in line else False
            continue
        if in_options and line.startswith(".TP") and i + 1 < len(lines):
            opts.update(HELP_OPT_RE.findall(roff_plain(lines[i + 1])))
    return opts


@pytest.mark.parametrize("binary,page", [(EISD_BIN, "eisd.1"), (EISC_BIN, "eisc.1")],
                         ids=["eisd", "eisc"])
def test_every_help_option_is_in_the_man_page(binary, page):
    shown = help_options(binary)
    # The parse itself must work, or an empty list would pass.
    assert "--help" in shown and "--version" in shown and "-h" in shown, shown
    assert len(shown) >= 8, shown
    documented = man_options(page)
    missing = [o for o in shown if o not in documented]
    assert not missing, f"man/{page} OPTIONS lacks: {' '.join(missing)}"


def test_man_parse_sees_known_items():
    # A guard on man_options itself: these items exist in both pages.
    for page in ("eisd.1", "eisc.1"):
        got = man_options(page)
        assert {"-p", "--port", "-h", "--help", "-V", "--version"} <= got, (page, got)
