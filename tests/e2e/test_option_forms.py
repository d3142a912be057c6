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

