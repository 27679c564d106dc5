#!/usr/bin/env bash
# TEST KEYS ONLY. The gateways' TLS identities for the exchange between them (docs/exchange-protocol.md):
# one self-signed ECDSA P-256 certificate per agency of the directory, valid for the loopback
# addresses and `localhost`, pinned by the peers' configurations. Plus `stranger`, an identity no
# configuration pins (the tests show it is refused). TLS protects the transport only; the documents'
# legal signature is the GOST one (Certificates/agencies/).
# Each certificate is its own trust root (CA:TRUE, keyCertSign, as `openssl req -x509` makes them):
# the client pins a peer by making its certificate the only root it trusts, and BoringSSL accepts a
# self-signed root only if it may sign certificates.
#
#   Certificates/make-tls-pki.sh            # writes Certificates/tls/
#   Certificates/make-tls-pki.sh /tmp/tls   # or another folder
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/tls}"
directory="$here/../Sources/MezhvedDocuments/Resources/directory/agencies.json"
command -v jq >/dev/null || { echo "make-tls-pki: jq is needed (apt-get install jq)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
agencies=$(jq -r '.agencies[].id' "$directory")
for id in $agencies stranger; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
        -subj "/O=TEST mezhved gateways/OU=TEST TLS only/CN=mezhved gateway $id" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1" \
        -addext "keyUsage=critical,digitalSignature,keyCertSign" \
        -addext "extendedKeyUsage=serverAuth,clientAuth" \
        -keyout "$out/$id.key" -out "$out/$id.crt" 2>/dev/null
    chmod 600 "$out/$id.key"
done
echo "make-tls-pki: $(ls "$out"/*.crt | wc -l) TLS identities in $out (TEST KEYS ONLY)"
