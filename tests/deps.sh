#!/bin/sh
# Installs what the tests need, when it is missing (Debian 12).
need=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need="$need python3-pytest"
# A per-test time limit (tests/e2e/pytest.ini): a hang fails one test
# instead of stalling the run.
/usr/bin/python3 -c 'import pytest_timeout' 2>/dev/null || need="$need python3-pytest-timeout"
# The e2e tests run on several workers side by side (make e2e, E2E_JOBS).
/usr/bin/python3 -c 'import xdist' 2>/dev/null || need="$need python3-pytest-xdist"
command -v curl >/dev/null || need="$need curl"
command -v wget >/dev/null || need="$need wget"
# The status page is checked in a real browser; ip sets up the private
# network namespace of the loopback-only test.
command -v chromium >/dev/null || need="$need chromium"
command -v ip >/dev/null || need="$need iproute2"
[ -f /etc/mime.types ] || need="$need media-types"
command -v brotli >/dev/null || need="$need brotli"
# Compression on the fly is checked with real decoders (zlib is built in).
/usr/bin/python3 -c 'import brotli' 2>/dev/null || need="$need python3-brotli"
/usr/bin/python3 -c 'import zstandard' 2>/dev/null || need="$need python3-zstandard"
command -v wrk >/dev/null || need="$need wrk"
command -v setpriv >/dev/null || need="$need util-linux"
# HTTP/2: the frame-level test client, nghttp and h2load (libnghttp2-dev
# is a build dependency: tests/build-deps.sh).
/usr/bin/python3 -c 'import h2' 2>/dev/null || need="$need python3-h2"
command -v h2load >/dev/null || need="$need nghttp2-client"
# The tests make bcrypt and SHA-crypt entries (--auth-file) with
# htpasswd and openssl passwd.
command -v htpasswd >/dev/null || need="$need apache2-utils"
# TLS: test certificates and s_client, and the audit (make tls-audit).
command -v openssl >/dev/null || need="$need openssl"
command -v testssl >/dev/null || need="$need testssl.sh"
# ACME: pebble (a test CA with real validation) and its DNS helper.
command -v pebble >/dev/null || need="$need pebble"
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
# The metrics are read by Prometheus' own text parser; the scale-out and
# PROXY protocol tests put Debian's HAProxy in front of eisd.
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need="$need python3-prometheus-client"
[ -x /usr/sbin/haproxy ] || need="$need haproxy"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "make test: missing packages:$need" >&2
	echo "run as root: apt-get update && apt-get install -y$need" >&2
	exit 1
fi
echo "make test: installing$need"
apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
