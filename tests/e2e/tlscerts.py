"""Throw-away certificates for the TLS tests, made with the openssl CLI at
test time (never stored in git): a CA, leaves for localhost / 127.0.0.1 /
::1 with an ECDSA P-256 and an RSA 2048 key, a second leaf for other SNI
names (an exact one and a wildcard), a leaf that expired, and broken files.
Each file is in one directory; make_certs() returns a TlsCerts naming them."""

import os
import subprocess


def _run(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)
    assert p.returncode == 0, f"openssl {' '.join(args)} failed: {p.stderr.decode(errors='replace')}"
    return p.stdout


CA_CONF = """\
[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/newcerts
serial = {dir}/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
# Where a real CA would publish revocation (nothing answers there; the
# audit only wants a certificate shaped like a real one).
authorityInfoAccess = OCSP;URI:http://127.0.0.1:9/ocsp
crlDistributionPoints = URI:http://127.0.0.1:9/ca.crl
"""


class TlsCerts:
    def __init__(self, d):
        self.dir = d

    def path(self, name):
        return os.path.join(self.dir, name)

    @property
    def ca(self):
        return self.path("ca.crt")

    def pair(self, name):
        """["--tls-cert", NAME.crt, "--tls-key", NAME.key]"""
        return ["--tls-cert", self.path(name + ".crt"), "--tls-key", self.path(name + ".key")]


def _leaf(d, name, key_args, cn, sans, days="365", start=None, end=None):
    _run(*key_args, "-out", f"{name}.key", cwd=d)
    san = ",".join(sans)
    _run("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}",
         "-addext", f"subjectAltName={san}", "-out", f"{name}.csr", cwd=d)
    dates = ["-startdate", start, "-enddate", end] if start else ["-days", days]
    _run("ca", "-batch", "-config", "ca.cnf", "-extensions", "leaf", "-notext",
         "-cert", "ca.crt", "-keyfile", "ca.key", "-in", f"{name}.csr",
         "-out", f"{name}.crt", *dates, cwd=d)
    os.chmod(os.path.join(d, f"{name}.key"), 0o600)


EC_KEY = ("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
RSA_KEY = ("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")


def make_certs(d):
    """Writes the certificates into directory d. Files (all PEM):
    ca.crt; ec.crt/ec.key (localhost, 127.0.0.1, ::1; ECDSA P-256);
    rsa.crt/rsa.key (the same names, RSA 2048); other.crt/other.key
    (other.test, *.wild.test; ECDSA); expired.crt/expired.key;
    ec-chain.crt (leaf then CA); garbage.pem; empty.pem."""
    d = str(d)
    os.makedirs(os.path.join(d, "newcerts"), exist_ok=True)
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(CA_CONF.format(dir=d))
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write(os.urandom(16).hex() + "\n")  # 128-bit serials, as CAs must use
    _run(*EC_KEY, "-out", "ca.key", cwd=d)
    _run("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=eisd test CA",
         "-days", "3650", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt", cwd=d)
    local = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    _leaf(d, "ec", EC_KEY, "localhost", local)
    _leaf(d, "rsa", RSA_KEY, "localhost", local)
    _leaf(d, "other", EC_KEY, "other.test", ["DNS:other.test", "DNS:*.wild.test"])
    _leaf(d, "expired", EC_KEY, "localhost", local,
          start="20200101000000Z", end="20200201000000Z")
    with open(os.path.join(d, "ec-chain.crt"), "wb") as f:
        for n in ("ec.crt", "ca.crt"):
            with open(os.path.join(d, n), "rb") as g:
                f.write(g.read())
    with open(os.path.join(d, "garbage.pem"), "wb") as f:
        f.write(b"-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n")
    open(os.path.join(d, "empty.pem"), "w").close()
    return TlsCerts(d)


def fingerprint(pem_path):
    """SHA-256 fingerprint of a PEM certificate as lower-case hex."""
    out = _run("x509", "-in", pem_path, "-noout", "-fingerprint", "-sha256",
               cwd=os.path.dirname(pem_path)).decode()
    return out.strip().split("=", 1)[1].replace(":", "").lower()


def spki_pin(pem_path):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate (the
    form Chromium's --ignore-certificate-errors-spki-list takes)."""
    import base64
    import hashlib
    pub = _run("x509", "-in", pem_path, "-noout", "-pubkey", cwd=os.path.dirname(pem_path))
    p = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return base64.b64encode(hashlib.sha256(p.stdout).digest()).decode()


def make_ocsp(certs, leaf="ec"):
    """A DER OCSP response saying the leaf is good, signed by the CA (as a
    CA's responder would); written to <leaf>.ocsp.der, path returned."""
    d = certs.dir
    _run("ocsp", "-issuer", "ca.crt", "-cert", f"{leaf}.crt", "-reqout", f"{leaf}.ocsp.req",
         "-no_nonce", cwd=d)
    _run("ocsp", "-index", "index.txt", "-rsigner", "ca.crt", "-rkey", "ca.key",
         "-CA", "ca.crt", "-reqin", f"{leaf}.ocsp.req", "-respout", f"{leaf}.ocsp.der",
         "-ndays", "1", cwd=d)
    return os.path.join(d, f"{leaf}.ocsp.der")
