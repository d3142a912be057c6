#!/bin/sh
# Installs what the tests need, when it is missing (Debian 12).
need=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need="$need python3-pytest"
# A per-test time limit (tests/e2e/pytest.ini): a hang fails one test
# instead of stalling the run.
/usr/bin/python3 -c 'import pytest_timeout' 2>/dev/null || need="$need python3-pytest-timeout"
command -v curl >/dev/null || need="$need curl"
command -v wget >/dev/null || need="$need wget"
# The status page is checked in a real browser; ip sets up the private
# network namespace of the loopback-only test.
command -v chromium >/dev/null || need="$need chromium"
command -v ip >/dev/null || need="$need iproute2"
[ -f /etc/mime.types ] || need="$need media-types"
command -v brotli >/dev/null || need="$need brotli"
command -v wrk >/dev/null || need="$need wrk"
command -v setpriv >/dev/null || need="$need util-linux"
# contrib/logrotate is run for real by the signals test.
command -v logrotate >/dev/null || need="$need logrotate"
# Socket activation and the unit checks: systemd-socket-activate and
# systemd-analyze (no running systemd needed).
command -v systemd-socket-activate >/dev/null || need="$need systemd"
command -v systemd-analyze >/dev/null || need="$need systemd"
# The sanitized build and the fuzz targets (libFuzzer ships in clang's
# runtime package); valgrind for make valgrind.
command -v clang >/dev/null || need="$need clang"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 ||
	need="$need libclang-rt-14-dev"
command -v valgrind >/dev/null || need="$need valgrind"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "make test: missing packages:$need" >&2
	echo "run as root: apt-get update && apt-get install -y$need" >&2
	exit 1
fi
echo "make test: installing$need"
apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
