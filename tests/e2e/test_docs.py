"""The documentation holds together: README.md stays a front page, every
relative link in README.md, SECURITY.md and docs/*.md points to a file
that exists (and to a heading there when it names one), and LICENSE is
the ISC license."""

import glob
import os
import re

import pytest

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PAGES = [os.path.join(TOP, "README.md"), os.path.join(TOP, "SECURITY.md")] + \
    sorted(glob.glob(os.path.join(TOP, "docs", "*.md")))
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub-style anchors of a Markdown file's headings."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^#+\s+(.*?)\s*$", line)
            if m:
                text = re.sub(r"[^\w\- ]", "", m.group(1).lower())
                out.add(text.replace(" ", "-"))
    return out


def test_readme_is_a_front_page():
    with open(os.path.join(TOP, "README.md"), encoding="utf-8") as f:
        text = f.read()
    words = len(text.split())
    assert words <= 1600, f"README.md has {words} words; details belong in docs/"
    for heading in ("## Set up", "## Features", "## How it compares", "## Requirements",
                    "## Limits", "## Documentation"):
        assert heading in text, heading
    assert "make run" in text and "make test" in text


@pytest.mark.parametrize("page", PAGES, ids=[os.path.relpath(p, TOP) for p in PAGES])
def test_relative_links_resolve(page):
    with open(page, encoding="utf-8") as f:
        text = f.read()
    bad = []
    for target in LINK_RE.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            bad.append(f"{target}: no such file")
        elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
            bad.append(f"{target}: no such heading")
    assert not bad, bad


def test_license_is_isc():
    with open(os.path.join(TOP, "LICENSE"), encoding="utf-8") as f:
        text = f.read()
    assert text.startswith("ISC License\n")
    assert "Copyright (c) 2026 the eisd authors" in text
    assert "Permission to use, copy, modify, and/or distribute this software" in text
