#!/bin/sh
# make acme-demo: eisd gets a certificate from a local ACME CA.
# Starts Debian's pebble (a test CA that really validates) and
# pebble-challtestsrv (its DNS: every name is 127.0.0.1) on loopback,
# then eisd with --acme demo.test against them. Ctrl-C stops all three;
# nothing leaves the machine. Ports: CA 14000/15000, DNS 8053, eisd 5001
# (the port pebble validates TLS-ALPN-01 on).
set -eu
EISD=${EISD:-./eisd}
ROOT=${ROOT:-www}
dir=$(mktemp -d /tmp/eisd-acme-demo.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# The CA's own HTTPS certificate (eisd is told to trust it).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
cat >"$dir/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
 "certificate": "$dir/ca.crt", "privateKey": "$dir/ca.key", "httpPort": 5002, "tlsPort": 5001,
 "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
pebble-challtestsrv -dns01 127.0.0.1:8053 -http01 "" -https01 "" -tlsalpn01 "" \
	-management 127.0.0.1:8055 -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$dir/dns.log" 2>&1 &
pids="$pids $!"
PEBBLE_VA_NOSLEEP=1 pebble -config "$dir/pebble.json" -dnsserver 127.0.0.1:8053 \
	>"$dir/pebble.log" 2>&1 &
pids="$pids $!"
i=0
until curl -fsS --cacert "$dir/ca.crt" -o /dev/null https://127.0.0.1:14000/dir 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "acme-demo: pebble did not start (see $dir/pebble.log)" >&2; exit 1; }
	sleep 0.1
done

"$EISD" --acme demo.test --acme-directory https://127.0.0.1:14000/dir \
	--acme-ca-file "$dir/ca.crt" --acme-storage "$dir/acme" --acme-agree-tos \
	-p 5001 "$ROOT" &
pids="$pids $!"
eisd_pid=$!
# The start line comes once the certificate is issued.
i=0
until curl -fsS --cacert "$dir/ca.crt" -o "$dir/root.pem" https://127.0.0.1:15000/roots/0 2>/dev/null &&
	curl -fsS --cacert "$dir/root.pem" --resolve demo.test:5001:127.0.0.1 -o /dev/null \
		https://demo.test:5001/ 2>/dev/null; do
	kill -0 "$eisd_pid" 2>/dev/null || { echo "acme-demo: eisd stopped" >&2; exit 1; }
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "acme-demo: no certificate after 60 s" >&2; exit 1; }
	sleep 0.1
done
cp "$dir/root.pem" ./acme-demo-root.pem
echo
echo "acme-demo: eisd serves $ROOT over a certificate from the local CA. Try:"
echo "  curl --cacert acme-demo-root.pem --resolve demo.test:5001:127.0.0.1 https://demo.test:5001/"
echo "acme-demo: Ctrl-C stops it."
wait "$eisd_pid"
