#!/bin/sh
# Installs the Debian -dev packages eisd links with, only when missing
# (Debian 12). The Makefile runs this once before the first compile
# (build/.build-deps stamp). One line per library: a header that proves
# the package is there, and the package.
set -e
need=""
have() { [ -f "$1" ] || need="$need $2"; }
have /usr/include/openssl/ssl.h libssl-dev
have "$(ls /usr/include/curl/curl.h /usr/include/*/curl/curl.h 2>/dev/null | head -n 1)" libcurl4-openssl-dev
have /usr/include/jansson.h libjansson-dev
have /usr/include/nghttp2/nghttp2.h libnghttp2-dev
have /usr/include/crypt.h libcrypt-dev
have /usr/include/zstd.h libzstd-dev
have /usr/include/brotli/encode.h libbrotli-dev
have /usr/include/zlib.h zlib1g-dev
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "make: missing build packages:$need" >&2
	echo "run as root: apt-get update && apt-get install -y$need" >&2
	exit 1
fi
echo "make: installing build packages:$need"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
