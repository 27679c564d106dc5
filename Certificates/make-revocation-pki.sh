#!/usr/bin/env bash
# make-revocation-pki.sh - (re)creates Certificates/revocation/, the TEST material of the
# revocation checks (CRL over HTTP, OCSP), on top of the existing TEST GOST PKI.
#
# Usage: Certificates/make-revocation-pki.sh [OUTDIR]   (default: this script's directory)
#
# It ADDS to the PKI of make-test-pki.sh and never regenerates any of its files: it reads the
# accredited CA (gost/ca.pem + gost/ca.key.pem) and the root (gost/root-ca.pem +
# gost/root-ca.key.pem) and deletes and rewrites only OUTDIR/revocation/. Run it again after
# make-test-pki.sh (new CA keys invalidate everything here).
#
# Everything produced here is TEST material: fictional people, fictional registration numbers,
# throw-away keys stored unencrypted in the repository.
#
# The certificates name fixed loopback services (the test suite starts them):
#   OCSP (AIA):  http://127.0.0.1:47931/                  (openssl ocsp -index revocation/index.txt)
#   CRL (CDP):   http://127.0.0.1:47932/ca-revocation.crl (revocation/ca-revocation.crl, DER)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$SCRIPT_DIR}
OUT=$(cd "$OUT" && pwd)

export OPENSSL_CONF="$SCRIPT_DIR/openssl-gost.cnf"
OPENSSL=${OPENSSL:-openssl}

G="$OUT/gost"
for f in "$G/ca.pem" "$G/ca.key.pem" "$G/root-ca.pem" "$G/root-ca.key.pem"; do
    [[ -f $f ]] || { echo "error: $f is missing; run make-test-pki.sh first" >&2; exit 1; }
done
if ! "$OPENSSL" genpkey -algorithm gost2012_256 -pkeyopt paramset:A >/dev/null 2>&1; then
    echo "error: the GOST engine is not available (install libengine-gost-openssl;" \
         "check $OPENSSL_CONF)" >&2
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mezhved-revocation-pki.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

V="$OUT/revocation"
rm -rf "${V:?}"
mkdir -p "$V"
umask 022

OCSP_URL=http://127.0.0.1:47931/
CDP_URL=http://127.0.0.1:47932/ca-revocation.crl
SIGNER_START=20250101000000Z
SIGNER_END=20451231235959Z
# Revocation dates (UTCTime, as the CA database holds them).
REVOKED_BEFORE_DATE=250601000000Z   # 2025-06-01 00:00:00Z, keyCompromise
REVOKED_LATER_DATE=400101000000Z    # 2040-01-01 00:00:00Z, cessationOfOperation
CRL_DAYS=7300

# Check digits (ogrn, innle, snils), new_key, make_csr, init_ca_db and signer_dn.
# shellcheck source=pki-lib.sh
. "$SCRIPT_DIR/pki-lib.sh"

cat > "$WORK/ca.cnf" <<'EOF'
[ca]
default_ca = test_ca

[test_ca]
dir             = $ENV::CA_DB
database        = $dir/index.txt
new_certs_dir   = $dir/newcerts
crlnumber       = $dir/crlnumber
serial          = $dir/serial
unique_subject  = no
email_in_dn     = yes
copy_extensions = none
policy          = policy_any
default_crl_days = 7300
default_md      = default
utf8            = yes
string_mask     = utf8only

[policy_any]
commonName = supplied

# ---- GOST signer with revocation sources: as make-test-pki.sh's ext_gost_signer, plus AIA ----
[ext_rev_signer]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 1.2.643.100.113.1, 1.2.643.100.113.2
1.2.643.100.111        = ASN1:FORMAT:UTF8,UTF8String:TEST СКЗИ mezhved
1.2.643.100.112        = ASN1:SEQUENCE:issuer_sign_tool
1.2.643.100.114        = ASN1:INTEGER:0
authorityInfoAccess    = OCSP;URI:http://127.0.0.1:47931/
crlDistributionPoints  = URI:http://127.0.0.1:47932/ca-revocation.crl

# ---- the same, naming no revocation source at all ----
[ext_rev_nosource]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 1.2.643.100.113.1, 1.2.643.100.113.2
1.2.643.100.111        = ASN1:FORMAT:UTF8,UTF8String:TEST СКЗИ mezhved
1.2.643.100.112        = ASN1:SEQUENCE:issuer_sign_tool
1.2.643.100.114        = ASN1:INTEGER:0

# ---- delegated OCSP responder of the accredited CA (RFC 6960 4.2.2.2) ----
[ext_ocsp_responder]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, OCSPSigning
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
noCheck                = ignored

# ---- a responder certificate of the accredited CA WITHOUT id-kp-OCSPSigning ----
[ext_no_eku_responder]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[issuer_sign_tool]
signTool     = FORMAT:UTF8,UTF8String:TEST СКЗИ mezhved (тестовое, не сертифицировано)
cATool       = FORMAT:UTF8,UTF8String:TEST ПАК УЦ mezhved (тестовый, не сертифицирован)
signToolCert = FORMAT:UTF8,UTF8String:TEST: сертификат соответствия не выдавался (СФ/000-0000)
cAToolCert   = FORMAT:UTF8,UTF8String:TEST: сертификат соответствия не выдавался (СФ/000-0001)

[crl_ext]
authorityKeyIdentifier = keyid:always

# ---- a delta CRL (which mezhved refuses) ----
[crl_delta]
authorityKeyIdentifier = keyid:always
deltaCRL               = critical, ASN1:INTEGER:1
EOF

# issue DB CSR OUT ISSUER_CERT ISSUER_KEY EXT
issue() {
    mkdir -p "$(dirname "$3")"
    CA_DB="$WORK/db/$1" \
        "$OPENSSL" ca -batch -notext -rand_serial -preserveDN -utf8 -config "$WORK/ca.cnf" \
        -cert "$4" -keyfile "$5" -md md_gost12_256 -startdate "$SIGNER_START" -enddate "$SIGNER_END" \
        -extensions "$6" -in "$2" -out "$3" 2> "$WORK/ca.log" \
        || { cat "$WORK/ca.log" >&2; return 1; }
}

# responder_dn CN
responder_dn() {
    cat <<EOF
C  = RU
O  = mezhved TEST Accredited CA
OU = TEST - не для реального использования
CN = $1
EOF
}

ORG_SOCIAL="Комитет по социальной защите населения Ленинградской области"
ORG_HEALTH="Комитет по здравоохранению Ленинградской области"
OGRN_SOCIAL=$(ogrn 107470999001); INNLE_SOCIAL=$(innle 470399901)
OGRN_HEALTH=$(ogrn 107470999002); INNLE_HEALTH=$(innle 470399902)

# rev_signer NAME EXT  + signer_dn on stdin
rev_signer() {
    local name=$1 ext=$2
    new_key gost256 "$V/$name/key.pem"
    make_csr "$V/$name/key.pem" "$WORK/$name.csr"
    issue gost-ca "$WORK/$name.csr" "$V/$name/cert.pem" "$G/ca.pem" "$G/ca.key.pem" "$ext"
}

init_ca_db gost-ca
init_ca_db gost-root

signer_dn "Белова" "Светлана Игоревна" "Главный специалист" "$ORG_SOCIAL" \
          "s.belova@social-protection.mezhved-test.invalid" \
          "$OGRN_SOCIAL" "$(snils 123123123)" "$INNLE_SOCIAL" | rev_signer good ext_rev_signer
signer_dn "Волков" "Павел Андреевич" "Консультант" "$ORG_SOCIAL" \
          "p.volkov@social-protection.mezhved-test.invalid" \
          "$OGRN_SOCIAL" "$(snils 234234234)" "$INNLE_SOCIAL" | rev_signer revoked-before ext_rev_signer
signer_dn "Григорьева" "Елена Викторовна" "Начальник отдела" "$ORG_HEALTH" \
          "e.grigorieva@health.mezhved-test.invalid" \
          "$OGRN_HEALTH" "$(snils 345345345)" "$INNLE_HEALTH" | rev_signer revoked-later ext_rev_signer
signer_dn "Дмитриев" "Олег Сергеевич" "Ведущий специалист" "$ORG_HEALTH" \
          "o.dmitriev@health.mezhved-test.invalid" \
          "$OGRN_HEALTH" "$(snils 456456456)" "$INNLE_HEALTH" | rev_signer no-source ext_rev_nosource

responder_dn "mezhved TEST GOST Accredited CA OCSP Responder" | rev_signer responder ext_ocsp_responder
responder_dn "mezhved TEST OCSP Responder without OCSPSigning" | rev_signer no-eku-responder ext_no_eku_responder
# The rogue responder: a trusted chain (issued by the GOST root) with id-kp-OCSPSigning, but
# not issued by the accredited CA, so not authorised to answer for its certificates.
new_key gost256 "$V/rogue-responder/key.pem"
responder_dn "mezhved TEST Rogue OCSP Responder (root-issued)" | make_csr "$V/rogue-responder/key.pem" "$WORK/rogue.csr"
issue gost-root "$WORK/rogue.csr" "$V/rogue-responder/cert.pem" "$G/root-ca.pem" "$G/root-ca.key.pem" ext_ocsp_responder

# Revoke in the CA database, then set the revocation dates: the 3.0 `ca` always writes "now",
# and the database is text (R, expiry, revocation date[,reason], serial, file, subject).
DB="$WORK/db/gost-ca"
revoke() {
    CA_DB="$DB" "$OPENSSL" ca -batch -config "$WORK/ca.cnf" -cert "$G/ca.pem" -keyfile "$G/ca.key.pem" \
        -revoke "$V/$1/cert.pem" -crl_reason "$2" 2> "$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
    local serial
    serial=$("$OPENSSL" x509 -in "$V/$1/cert.pem" -noout -serial | sed 's/^serial=//')
    awk -F'\t' -v OFS='\t' -v s="$serial" -v d="$3,$2" '$4 == s { $3 = d } { print }' "$DB/index.txt" > "$DB/index.new"
    mv "$DB/index.new" "$DB/index.txt"
}
revoke revoked-before keyCompromise "$REVOKED_BEFORE_DATE"
revoke revoked-later cessationOfOperation "$REVOKED_LATER_DATE"
cp "$DB/index.txt" "$V/index.txt"
cp "$DB/index.txt.attr" "$V/index.txt.attr"

# The CDP CRL (DER): the same revocations, the same dates; nextUpdate ~20 years ahead.
CA_DB="$DB" "$OPENSSL" ca -batch -gencrl -config "$WORK/ca.cnf" -cert "$G/ca.pem" -keyfile "$G/ca.key.pem" \
    -md md_gost12_256 -crldays "$CRL_DAYS" -crlexts crl_ext -out "$WORK/ca-revocation.crl.pem" 2> "$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
"$OPENSSL" crl -in "$WORK/ca-revocation.crl.pem" -outform DER -out "$V/ca-revocation.crl"
# A stale CRL of the same CA: thisUpdate 2025-01-01, nextUpdate 2025-02-01 (long past).
CA_DB="$DB" "$OPENSSL" ca -batch -gencrl -config "$WORK/ca.cnf" -cert "$G/ca.pem" -keyfile "$G/ca.key.pem" \
    -md md_gost12_256 -crl_lastupdate 20250101000000Z -crl_nextupdate 20250201000000Z -crlexts crl_ext \
    -out "$WORK/stale.crl.pem" 2> "$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
"$OPENSSL" crl -in "$WORK/stale.crl.pem" -outform DER -out "$V/stale.crl"

# A delta CRL of the same CA (deltaCRLIndicator, critical): mezhved uses full CRLs only.
CA_DB="$DB" "$OPENSSL" ca -batch -gencrl -config "$WORK/ca.cnf" -cert "$G/ca.pem" -keyfile "$G/ca.key.pem" \
    -md md_gost12_256 -crldays "$CRL_DAYS" -crlexts crl_delta -out "$WORK/delta.crl.pem" 2> "$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
"$OPENSSL" crl -in "$WORK/delta.crl.pem" -outform DER -out "$V/delta.crl"

# --------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------
PASS=0
FAIL=0
ok()  { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "SELF-CHECK FAILED: $*" >&2; }

TRUST="$OUT/trust/gost"
for n in good revoked-before revoked-later no-source responder no-eku-responder; do
    if out=$("$OPENSSL" verify -x509_strict -CAfile "$G/root-ca.pem" -untrusted "$G/ca.pem" "$V/$n/cert.pem" 2>&1)
    then ok; else bad "$n: $out"; fi
done
if out=$("$OPENSSL" verify -x509_strict -CAfile "$G/root-ca.pem" "$V/rogue-responder/cert.pem" 2>&1)
then ok; else bad "rogue-responder: $out"; fi
[[ -d $TRUST ]] && { "$OPENSSL" verify -CApath "$TRUST" -untrusted "$G/ca.pem" "$V/good/cert.pem" >/dev/null 2>&1 && ok || bad "good vs trust/gost"; }

CRLTEXT=$("$OPENSSL" crl -inform DER -in "$V/ca-revocation.crl" -CAfile "$G/ca.pem" -noout -text 2>&1)
grep -q 'verify OK' <<<"$CRLTEXT" && ok || bad "ca-revocation.crl: signature"
for n in revoked-before revoked-later; do
    serial=$("$OPENSSL" x509 -in "$V/$n/cert.pem" -noout -serial | sed 's/^serial=//')
    grep -q "Serial Number: $serial" <<<"$CRLTEXT" && ok || bad "ca-revocation.crl does not list $n ($serial)"
done
grep -q 'Revocation Date: Jun  1 00:00:00 2025 GMT' <<<"$CRLTEXT" && ok || bad "no 2025-06-01 revocation date"
grep -q 'Revocation Date: Jan  1 00:00:00 2040 GMT' <<<"$CRLTEXT" && ok || bad "no 2040-01-01 revocation date"
grep -q 'Key Compromise' <<<"$CRLTEXT" && ok || bad "no keyCompromise reason"
grep -q 'Cessation Of Operation' <<<"$CRLTEXT" && ok || bad "no cessationOfOperation reason"
good_serial=$("$OPENSSL" x509 -in "$V/good/cert.pem" -noout -serial | sed 's/^serial=//')
grep -q "Serial Number: $good_serial" <<<"$CRLTEXT" && bad "the CRL lists good" || ok
"$OPENSSL" crl -inform DER -in "$V/stale.crl" -noout -nextupdate | grep -q 'Feb  1 00:00:00 2025 GMT' && ok || bad "stale.crl nextUpdate"
"$OPENSSL" crl -inform DER -in "$V/delta.crl" -noout -text | grep -q 'Delta CRL Indicator: critical' && ok || bad "delta.crl has no critical deltaCRLIndicator"
[[ $(grep -c $'^R\t' "$V/index.txt") == 2 ]] && ok || bad "index.txt does not hold exactly two revocations"

for n in good revoked-before revoked-later responder; do
    text=$("$OPENSSL" x509 -in "$V/$n/cert.pem" -noout -text)
    if [[ $n == responder ]]; then
        for needle in 'OCSP Signing' 'OCSP No Check'; do grep -q "$needle" <<<"$text" && ok || bad "$n: no '$needle'"; done
    else
        for needle in "OCSP - URI:$OCSP_URL" "URI:$CDP_URL" 'OGRN' 'SNILS' 'Class of Signing Tool KC1' 'Digital Signature, Non Repudiation'; do
            grep -qF "$needle" <<<"$text" && ok || bad "$n: no '$needle'"
        done
    fi
done
text=$("$OPENSSL" x509 -in "$V/no-source/cert.pem" -noout -text)
grep -q 'Authority Information Access\|CRL Distribution' <<<"$text" && bad "no-source names a source" || ok
"$OPENSSL" x509 -in "$V/no-eku-responder/cert.pem" -noout -text | grep -q 'OCSP Signing' && bad "no-eku-responder has OCSPSigning" || ok

for k in "$V"/*/key.pem; do
    [[ $(stat -c %a "$k") == 600 ]] && ok || bad "$k: mode is not 0600"
    [[ $("$OPENSSL" pkey -in "$k" -pubout) == $("$OPENSSL" x509 -in "$(dirname "$k")/cert.pem" -noout -pubkey) ]] && ok || bad "$k does not match its cert"
done

echo "make-revocation-pki: generated in $V; self-check: $PASS passed, $FAIL failed"
(( FAIL == 0 ))
