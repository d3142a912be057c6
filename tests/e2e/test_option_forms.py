"""The command-line grammar of the option table: a value given to a flag
that takes none is named, and the help lists what the table holds."""

import pytest

from conftest import run_eisd


@pytest.mark.parametrize("arg,flag", [("--listing=yes", "--listing"), ("--quiet=1", "--quiet"),
                                      ("--chroot=no", "--chroot")])
def test_value_for_a_flag_without_one_names_the_flag(tmp_path, arg, flag):
    rc, out, err = run_eisd(["--port", "0", arg, str(tmp_path)])
    assert rc == 2, (rc, out, err)
    assert err == f"eisd: option '{flag}' takes no value (got '{arg}')\n"


def test_unique_prefix_and_cluster_work(tmp_path):
    rc, out, err = run_eisd(["--vers"])
    assert rc == 0 and out.startswith("eisd "), (rc, out, err)
    rc, out, err = run_eisd(["-qZ", str(tmp_path)])
    assert (rc, err) == (2, "eisd: unknown option '-Z' (see --help)\n")


def test_every_option_in_help_is_in_the_man_page():
    import os
    import re
    rc, out, _ = run_eisd(["--help"])
    assert rc == 0
    here = os.path.dirname(os.path.abspath(__file__))
    man = open(os.path.join(here, "..", "..", "man", "eisd.1")).read().replace("\\-", "-")
    names = set(re.findall(r"--[a-z][a-z0-9-]*", out))
    assert len(names) > 25
    missing = sorted(n for n in names if n not in man)
    assert missing == [], missing
