#!/usr/bin/env bash
# make-tsa.sh - ADDS test time-stamping authorities (RFC 3161) to the TEST PKI.
#
# Usage: Certificates/make-tsa.sh            (writes Certificates/tsa/ next to this script)
#
# Unlike make-test-pki.sh it regenerates nothing that exists: it issues new certificates from
# the existing CAs (gost/ca, rsa/root-ca) and writes only into tsa/. When tsa/ already holds a
# file it would write, it stops (delete tsa/ first to start over). TEST KEYS ONLY.
#
# Output (tsa/):
#   gost-tsa.pem, gost-tsa.key.pem      GOST 2012-256 TSA issued by gost/ca (critical EKU timeStamping)
#   rsa-tsa.pem, rsa-tsa.key.pem        RSA-2048 TSA issued by rsa/root-ca (critical EKU timeStamping)
#   wrong-tsa.pem, wrong-tsa.key.pem    self-signed GOST 2012-256 TSA, in no trust folder
#   tsa.cnf                             the `openssl ts -reply` configuration (see Tests/Interop/tsa_server.py)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT="$SCRIPT_DIR/tsa"
export OPENSSL_CONF="$SCRIPT_DIR/openssl-gost.cnf"
OPENSSL=${OPENSSL:-openssl}

if ! "$OPENSSL" genpkey -algorithm gost2012_256 -pkeyopt paramset:A >/dev/null 2>&1; then
    echo "error: the GOST engine is not available (install libengine-gost-openssl; check $OPENSSL_CONF)" >&2
    exit 1
fi
for f in gost-tsa.pem gost-tsa.key.pem rsa-tsa.pem rsa-tsa.key.pem wrong-tsa.pem wrong-tsa.key.pem tsa.cnf; do
    if [[ -e "$OUT/$f" ]]; then
        echo "error: $OUT/$f exists; this script never overwrites (delete $OUT to regenerate)" >&2
        exit 1
    fi
done
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mezhved-tsa.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Valid from one day ago until the end of 2045 (the signers' end).
DAYS=$(( ( $(date -u -d 2045-12-31T23:59:59Z +%s) - $(date -u +%s) ) / 86400 ))

cat > "$WORK/ext.cnf" <<'EOF'
[ext_tsa]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF

serial() { echo "0x$("$OPENSSL" rand -hex 16)"; }

# issue NAME KEYALG KEYOPTS SUBJECT ISSUER_CERT ISSUER_KEY MD
issue() {
    local name=$1 alg=$2 opt=$3 subject=$4 ca=$5 cakey=$6 md=$7
    (umask 077 && "$OPENSSL" genpkey -algorithm "$alg" -pkeyopt "$opt" -out "$OUT/$name.key.pem")
    "$OPENSSL" req -new -utf8 -key "$OUT/$name.key.pem" -subj "$subject" -out "$WORK/$name.csr"
    if [[ "$ca" == "-" ]]; then
        "$OPENSSL" x509 -req -in "$WORK/$name.csr" -signkey "$OUT/$name.key.pem" -"$md" -days "$DAYS" \
            -set_serial "$(serial)" -extfile "$WORK/ext.cnf" -extensions ext_tsa -out "$OUT/$name.pem" 2>/dev/null
    else
        "$OPENSSL" x509 -req -in "$WORK/$name.csr" -CA "$ca" -CAkey "$cakey" -"$md" -days "$DAYS" \
            -set_serial "$(serial)" -extfile "$WORK/ext.cnf" -extensions ext_tsa -out "$OUT/$name.pem"
    fi
}

issue gost-tsa gost2012_256 paramset:A \
    "/C=RU/O=mezhved TEST Accredited CA/OU=TEST - не для реального использования/CN=mezhved TEST GOST TSA" \
    "$SCRIPT_DIR/gost/ca.pem" "$SCRIPT_DIR/gost/ca.key.pem" md_gost12_256
issue rsa-tsa RSA rsa_keygen_bits:2048 \
    "/C=RU/O=mezhved TEST PKI/OU=TEST - не для реального использования/CN=mezhved TEST RSA TSA" \
    "$SCRIPT_DIR/rsa/root-ca.pem" "$SCRIPT_DIR/rsa/root-ca.key.pem" sha256
issue wrong-tsa gost2012_256 paramset:A \
    "/C=RU/O=mezhved TEST Untrusted/OU=TEST - не для реального использования/CN=mezhved TEST Wrong TSA (self-signed)" \
    - - md_gost12_256

cat > "$OUT/tsa.cnf" <<'EOF'
# `openssl ts -reply` configuration of the TEST time-stamping authorities (Tests/Interop/tsa_server.py).
# The serial file is given by the environment (the server keeps it in a temporary folder), and
# the signing digest by MEZHVED_TSA_DIGEST (md_gost12_256 for the GOST TSAs, sha256 for RSA).
# GOST needs the engine: run with OPENSSL_CONF=Certificates/openssl-gost.cnf.
[tsa]
default_tsa = mezhved_tsa

[mezhved_tsa]
serial           = $ENV::MEZHVED_TSA_SERIAL
crypto_device    = builtin
signer_digest    = $ENV::MEZHVED_TSA_DIGEST
# A made-up TEST policy OID (1.2.643.2.2.38 is CryptoPro's arc; this one is fictional).
default_policy   = 1.2.643.100.113.99.1
other_policies   = 1.2.643.100.113.99.2
digests          = md_gost12_256, md_gost12_512, sha256, sha384, sha512
accuracy         = secs:1
ordering         = no
tsa_name         = yes
ess_cert_id_chain = no
ess_cert_id_alg  = $ENV::MEZHVED_TSA_DIGEST
EOF

# Self-check.
"$OPENSSL" verify -CAfile "$SCRIPT_DIR/gost/root-ca.pem" -untrusted "$SCRIPT_DIR/gost/ca.pem" -purpose timestampsign \
    "$OUT/gost-tsa.pem"
"$OPENSSL" verify -CAfile "$SCRIPT_DIR/rsa/root-ca.pem" -purpose timestampsign "$OUT/rsa-tsa.pem"
if "$OPENSSL" verify -CApath "$SCRIPT_DIR/trust/all" "$OUT/wrong-tsa.pem" >/dev/null 2>&1; then
    echo "error: the wrong TSA chains to a trusted root" >&2
    exit 1
fi
"$OPENSSL" x509 -in "$OUT/gost-tsa.pem" -noout -ext extendedKeyUsage | grep -q critical
echo "make-tsa: wrote $(ls "$OUT" | wc -l) files into $OUT"
