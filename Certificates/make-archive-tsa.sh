#!/usr/bin/env bash
# make-archive-tsa.sh - ADDS a longer-lived test TSA for archive timestamps (XAdES-LTA) to tsa/.
#
# Usage: Certificates/make-archive-tsa.sh
#
# "mezhved TEST GOST Archive TSA": GOST 2012-256, issued by gost/ca (which lives until 2049) and
# valid until 2049-12-31, four years past the signers' and the signature TSA's end (2045-12-31).
# An archive timestamp it makes therefore still proves, in 2046, that a signature existed while its
# signer's certificate and its signature timestamp were valid (docs/xades.md, XAdES-LTA). It never
# overwrites (delete tsa/archive-tsa*.pem to regenerate). TEST KEYS ONLY.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT="$SCRIPT_DIR/tsa"
export OPENSSL_CONF="$SCRIPT_DIR/openssl-gost.cnf"
OPENSSL=${OPENSSL:-openssl}

for f in archive-tsa.pem archive-tsa.key.pem; do
    if [[ -e "$OUT/$f" ]]; then
        echo "error: $OUT/$f exists; this script never overwrites" >&2
        exit 1
    fi
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mezhved-archive-tsa.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DAYS=$(( ( $(date -u -d 2049-12-31T23:59:59Z +%s) - $(date -u +%s) ) / 86400 ))
cat > "$WORK/ext.cnf" <<'CNF'
[ext_tsa]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF
(umask 077 && "$OPENSSL" genpkey -algorithm gost2012_256 -pkeyopt paramset:A -out "$OUT/archive-tsa.key.pem")
"$OPENSSL" req -new -utf8 -key "$OUT/archive-tsa.key.pem" \
    -subj "/C=RU/O=mezhved TEST Accredited CA/OU=TEST - не для реального использования/CN=mezhved TEST GOST Archive TSA" \
    -out "$WORK/archive-tsa.csr"
"$OPENSSL" x509 -req -in "$WORK/archive-tsa.csr" -CA "$SCRIPT_DIR/gost/ca.pem" -CAkey "$SCRIPT_DIR/gost/ca.key.pem" \
    -md_gost12_256 -days "$DAYS" -set_serial "0x$("$OPENSSL" rand -hex 16)" -extfile "$WORK/ext.cnf" -extensions ext_tsa \
    -out "$OUT/archive-tsa.pem"
"$OPENSSL" verify -CAfile "$SCRIPT_DIR/gost/root-ca.pem" -untrusted "$SCRIPT_DIR/gost/ca.pem" -purpose timestampsign \
    "$OUT/archive-tsa.pem"
echo "make-archive-tsa: wrote archive-tsa.pem and archive-tsa.key.pem into $OUT"
