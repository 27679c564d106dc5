#!/usr/bin/env bash
# make-test-pki.sh - (re)creates the TEST PKI used by mezhved's tests.
#
# Usage: Certificates/make-test-pki.sh [OUTDIR]      (default: this script's directory)
#        Certificates/make-test-pki.sh --add-missing-agencies [OUTDIR]
#
# Every agency of the agency directory (Sources/MezhvedDocuments/Resources/directory/agencies.json)
# gets a signer: O, OGRN and INNLE are the directory's, SN/GN/CN and title its headOfficial's (the
# person a composed document names as signatory by default). --add-missing-agencies issues, with
# the existing gost/ca, a signer for each agency that has none yet under agencies/, and changes
# nothing else (the other keys, the CRL and the revocation/TSA material issued by gost/ca stay).
#
# Everything produced here is TEST material: fictional people, fictional registration
# numbers, throw-away keys stored unencrypted in the repository. Never trust these
# roots outside tests. See README.md next to this script for the file list.
#
# Requirements: OpenSSL 3.0 `openssl` CLI + the GOST engine (Debian: libengine-gost-openssl).
# GOST is loaded through openssl-gost.cnf (OPENSSL_CONF), which also names INNLE.
#
# Without --add-missing-agencies the script is idempotent: it deletes and regenerates only its own
# output directories (gost agencies negative rsa ecdsa trust) inside OUTDIR; it never touches this
# script, openssl-gost.cnf or README.md. All CA/signer keys are new on every run.
#
# Requirements also: jq (the agencies are read from the directory).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=full
if [[ ${1:-} == --add-missing-agencies ]]; then MODE=add; shift; fi
case ${1:-} in -*) echo "usage: make-test-pki.sh [--add-missing-agencies] [OUTDIR]" >&2; exit 64 ;; esac
OUT=${1:-$SCRIPT_DIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

export OPENSSL_CONF="$SCRIPT_DIR/openssl-gost.cnf"
OPENSSL=${OPENSSL:-openssl}

# --------------------------------------------------------------------------------------
# Preconditions
# --------------------------------------------------------------------------------------
if ! "$OPENSSL" genpkey -algorithm gost2012_256 -pkeyopt paramset:A >/dev/null 2>&1; then
    echo "error: the GOST engine is not available (install libengine-gost-openssl;" \
         "check $OPENSSL_CONF)" >&2
    exit 1
fi

DIRECTORY="$SCRIPT_DIR/../Sources/MezhvedDocuments/Resources/directory/agencies.json"
command -v jq >/dev/null || { echo "error: jq is needed to read the agency directory (apt-get install jq)" >&2; exit 1; }
[[ -f $DIRECTORY ]] || { echo "error: the agency directory $DIRECTORY is missing" >&2; exit 1; }
if [[ $MODE == add && ! ( -f $OUT/gost/ca.pem && -f $OUT/gost/ca.key.pem ) ]]; then
    echo "error: --add-missing-agencies needs the existing CA ($OUT/gost/ca.pem, ca.key.pem); run without it first" >&2
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mezhved-pki.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Wipe our own output directories only (never when adding agencies).
OUTPUT_DIRS=(gost agencies negative rsa ecdsa trust)
if [[ $MODE == full ]]; then
    for d in "${OUTPUT_DIRS[@]}"; do rm -rf "${OUT:?}/$d"; done
fi
umask 022

# --------------------------------------------------------------------------------------
# Validity periods
#   CAs:      2019-01-01 .. 2049-12-31 (starts before the "expired" signer so that the
#             expired certificate was valid *when* it was in force - useful for testing
#             "valid at the moment of signing"; 2049 is the last UTCTime year).
#   Signers:  2025-01-01 .. 2045-12-31 (fixed, so that sample documents of 2025–2026 were signed in validity).
#   Expired:  2020-01-01 .. 2021-01-01.
# --------------------------------------------------------------------------------------
CA_START=20190101000000Z
CA_END=20491231235959Z
SIGNER_START=20250101000000Z   # fixed: documents dated 2025–2026 fall inside the signers' validity
SIGNER_END=20451231235959Z
EXPIRED_START=20200101000000Z
EXPIRED_END=20210101000000Z
CRL_DAYS=7300   # nextUpdate ~20 years ahead

# CRL distribution point written into GOST signers (loopback only; nothing serves it yet).
# ca.cnf reads it as $ENV::CDP_URL, so it must always be set.
export CDP_URL=http://127.0.0.1:8089/ca.crl

# Check digits (ogrn, innle, snils), new_key, md_for, make_csr, init_ca_db and signer_dn.
# shellcheck source=pki-lib.sh
. "$SCRIPT_DIR/pki-lib.sh"

# --------------------------------------------------------------------------------------
# Shared `openssl ca` configuration: database layout + extension profiles.
# The CA database directory is passed in $CA_DB, the CRL DP URL in $CDP_URL.
# --------------------------------------------------------------------------------------
cat > "$WORK/ca.cnf" <<'EOF'
[ca]
default_ca = test_ca

[test_ca]
dir             = $ENV::CA_DB
database        = $dir/index.txt
new_certs_dir   = $dir/newcerts
crlnumber       = $dir/crlnumber
serial          = $dir/serial   # required by `ca` even though we use -rand_serial
unique_subject  = no
email_in_dn     = yes
copy_extensions = none
policy          = policy_any
default_crl_days = 7300
default_md      = default     # every signing call passes -md explicitly anyway
utf8            = yes
string_mask     = utf8only

[policy_any]
commonName = supplied

# ---- root CAs (self-signed) ----
[ext_root]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

# ---- the "accredited" GOST CA issued by the GOST root ----
[ext_gost_ca]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 1.2.643.100.113.1, 1.2.643.100.113.2
# subjectSignTool: the CA's own crypto tool (UTF8String).
# FORMAT:UTF8 is required: without it ASN1_generate treats the value as Latin-1 and the
# Cyrillic text ends up double-encoded.
1.2.643.100.111        = ASN1:FORMAT:UTF8,UTF8String:TEST СКЗИ mezhved (тестовое, не сертифицировано)
# issuerSignTool: SEQUENCE { signTool, cATool, signToolCert, cAToolCert } (UTF8String each)
1.2.643.100.112        = ASN1:SEQUENCE:issuer_sign_tool

[issuer_sign_tool]
signTool     = FORMAT:UTF8,UTF8String:TEST СКЗИ mezhved (тестовое, не сертифицировано)
cATool       = FORMAT:UTF8,UTF8String:TEST ПАК УЦ mezhved (тестовый, не сертифицирован)
signToolCert = FORMAT:UTF8,UTF8String:TEST: сертификат соответствия не выдавался (СФ/000-0000)
cAToolCert   = FORMAT:UTF8,UTF8String:TEST: сертификат соответствия не выдавался (СФ/000-0001)

# ---- GOST signer: qualified certificate of a legal entity's official ----
[ext_gost_signer]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 1.2.643.100.113.1, 1.2.643.100.113.2
1.2.643.100.111        = ASN1:FORMAT:UTF8,UTF8String:TEST СКЗИ mezhved
# issuerSignTool: the CA's tools, which FSB order 795 requires in the user's qualified certificate
1.2.643.100.112        = ASN1:SEQUENCE:issuer_sign_tool
# IdentificationKind: 0 = personal presence
1.2.643.100.114        = ASN1:INTEGER:0
crlDistributionPoints  = URI:$ENV::CDP_URL

# ---- RSA / ECDSA signers (interop with xmlsec1 etc.) ----
[ext_rsa_signer]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation, keyEncipherment
extendedKeyUsage       = emailProtection, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ext_ec_signer]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[crl_ext]
authorityKeyIdentifier = keyid:always
EOF

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
# issue DB CSR OUT ISSUER_CERT ISSUER_KEY MD START END EXT
#   ISSUER_CERT "-" means self-signed (openssl ca -selfsign). Serial numbers are random.
#   -preserveDN keeps the CSR's DN as is (order and string types); without it `ca`
#   rebuilds the DN from the policy and drops every attribute the policy doesn't list.
#   (OpenSSL 3.0 `ca` ignores a `preserve = yes` config line, so the flag is needed.)
issue() {
    local db=$1 csr=$2 out=$3 icert=$4 ikey=$5 md=$6 start=$7 end=$8 ext=$9
    local -a issuer=(-keyfile "$ikey")
    if [[ $icert == - ]]; then issuer+=(-selfsign); else issuer+=(-cert "$icert"); fi
    mkdir -p "$(dirname "$out")"
    CA_DB="$WORK/db/$db" \
        "$OPENSSL" ca -batch -notext -rand_serial -preserveDN -utf8 -config "$WORK/ca.cnf" \
        "${issuer[@]}" -md "$md" -startdate "$start" -enddate "$end" \
        -extensions "$ext" -in "$csr" -out "$out" 2> "$WORK/ca.log" \
        || { cat "$WORK/ca.log" >&2; return 1; }
}

# The organisations of the negative, RSA and ECDSA signers (the agency signers' come from the directory).
ORG_SOCIAL="Комитет по социальной защите населения Ленинградской области"
ORG_HEALTH="Комитет по здравоохранению Ленинградской области"
ORG_EMPLOYMENT="Комитет по труду и занятости населения Ленинградской области"

OGRN_SOCIAL=$(ogrn 107470999001);     INNLE_SOCIAL=$(innle 470399901)
OGRN_HEALTH=$(ogrn 107470999002);     INNLE_HEALTH=$(innle 470399902)
OGRN_EMPLOYMENT=$(ogrn 107470999003); INNLE_EMPLOYMENT=$(innle 470399903)

# gost_signer DIR KEYTYPE DB ISSUER_CERT ISSUER_KEY START END  + signer_dn args on stdin
gost_signer() {
    local dir=$1 keytype=$2 db=$3 icert=$4 ikey=$5 start=$6 end=$7 dn
    dn=$(cat)   # the DN from signer_dn
    new_key "$keytype" "$dir/key.pem"
    make_csr "$dir/key.pem" "$WORK/$(basename "$dir").csr" <<<"$dn"
    issue "$db" "$WORK/$(basename "$dir").csr" "$dir/cert.pem" "$icert" "$ikey" \
          "$(md_for "$ikey")" "$start" "$end" ext_gost_signer
}

# The agencies' signers: one line per agency of the directory, id|key type|SNILS (9 digits, the
# script adds the control number)|e-mail|street (empty: the committees' address). The person, the
# title, O, OGRN and INNLE come from the directory (headOfficial, fullName, ogrn, inn).
AGENCY_SIGNERS=(
    "social-protection|gost256|112233445|m.ivanova@social-protection.mezhved-test.invalid|"
    "health|gost512|223344556|a.smirnov@health.mezhved-test.invalid|"
    "employment|gost256|334455667|o.kuznetsova@employment.mezhved-test.invalid|"
    "education|gost256|778899001|e.andreeva@education.mezhved-test.invalid|"
    "ppms-center|gost256|889900112|a.pavlova@ppms-center.mezhved-test.invalid|ул. Бонч-Бруевича, д. 4"
    "youth-policy|gost256|201000011|k.morozov@youth-policy.mezhved-test.invalid|"
    "culture-tourism|gost256|201000022|n.zakharova@culture-tourism.mezhved-test.invalid|"
    "sports|gost256|201000033|i.stepanov@sports.mezhved-test.invalid|"
    "civil-registry|gost256|201000044|t.belova@civil-registry.mezhved-test.invalid|"
    "housing-utilities|gost256|201000055|m.grigoriev@housing-utilities.mezhved-test.invalid|"
    "law-enforcement|gost256|201000066|a.solovyev@law-enforcement.mezhved-test.invalid|"
    "cszn|gost256|201000077|s.tikhonova@cszn.mezhved-test.invalid|"
    "cszn-gatchina|gost256|201000088|y.komarova@cszn-gatchina.mezhved-test.invalid|"
    "early-help-center|gost256|201000099|v.orlova@early-help-center.mezhved-test.invalid|"
    "children-diagnostic-center|gost256|201000101|d.egorov@children-diagnostic-center.mezhved-test.invalid|"
)

# directory_field ID JQ-PATH - a field of the directory's agency ID ("" when absent).
directory_field() { jq -r --arg id "$1" ".agencies[] | select(.id == \$id) | ($2 // \"\")" "$DIRECTORY"; }

AGENCY_IDS=()
for line in "${AGENCY_SIGNERS[@]}"; do AGENCY_IDS+=("${line%%|*}"); done
# Every agency of the directory has a line, and every line an agency.
for id in $(jq -r '.agencies[].id' "$DIRECTORY"); do
    [[ " ${AGENCY_IDS[*]} " == *" $id "* ]] || { echo "error: agency $id of the directory has no line in AGENCY_SIGNERS" >&2; exit 1; }
done
for id in "${AGENCY_IDS[@]}"; do
    [[ -n $(directory_field "$id" .id) ]] || { echo "error: AGENCY_SIGNERS names $id, which the directory does not" >&2; exit 1; }
done

# agency_signer LINE - issues the signer of one AGENCY_SIGNERS line from gost/ca.
agency_signer() {
    local id keytype snils_base email street head surname given
    IFS='|' read -r id keytype snils_base email street <<<"$1"
    head=$(directory_field "$id" .headOfficial.name)
    [[ -n $head ]] || { echo "error: agency $id has no headOfficial in the directory" >&2; return 1; }
    surname=${head%% *}
    given=${head#* }
    signer_dn "$surname" "$given" "$(directory_field "$id" .headOfficial.position)" "$(directory_field "$id" .fullName)" \
              "$email" "$(directory_field "$id" .ogrn)" "$(snils "$snils_base")" "$(directory_field "$id" .inn)" ${street:+"$street"} |
        gost_signer "$A/$id" "$keytype" gost-ca "$G/ca.pem" "$G/ca.key.pem" "$SIGNER_START" "$SIGNER_END"
}

G="$OUT/gost"
A="$OUT/agencies"
N="$OUT/negative"
U="$N/untrusted"
R="$OUT/rsa"
E="$OUT/ecdsa"
T="$OUT/trust"
SP="$A/social-protection"

# --------------------------------------------------------------------------------------
# 1. GOST root and the intermediate "accredited CA"
# --------------------------------------------------------------------------------------
init_ca_db gost-ca
if [[ $MODE == full ]]; then
init_ca_db gost-root
new_key gost256 "$G/root-ca.key.pem"
make_csr "$G/root-ca.key.pem" "$WORK/gost-root.csr" <<EOF
C  = RU
O  = mezhved TEST PKI
OU = TEST - не для реального использования
CN = mezhved TEST GOST Root CA
EOF
issue gost-root "$WORK/gost-root.csr" "$G/root-ca.pem" - "$G/root-ca.key.pem" \
      md_gost12_256 "$CA_START" "$CA_END" ext_root

new_key gost256 "$G/ca.key.pem"
make_csr "$G/ca.key.pem" "$WORK/gost-ca.csr" <<EOF
C            = RU
ST           = 47 Ленинградская область
L            = Санкт-Петербург
street       = Суворовский пр-кт, д. 67
O            = mezhved TEST Accredited CA
OU           = TEST - не для реального использования
CN           = mezhved TEST GOST Accredited CA
emailAddress = ca@mezhved-test.invalid
OGRN         = $(ogrn 123470000001)
INNLE        = $(innle 470000001)
EOF
issue gost-root "$WORK/gost-ca.csr" "$G/ca.pem" "$G/root-ca.pem" "$G/root-ca.key.pem" \
      md_gost12_256 "$CA_START" "$CA_END" ext_gost_ca

fi

# --------------------------------------------------------------------------------------
# 2. Agency signers (issued by gost/ca), one for every agency of the directory
# --------------------------------------------------------------------------------------
ADDED=()
for line in "${AGENCY_SIGNERS[@]}"; do
    id=${line%%|*}
    if [[ $MODE == add && -e $A/$id/cert.pem ]]; then continue; fi
    if [[ $MODE == add && -e $A/$id/key.pem ]]; then
        echo "error: $A/$id/key.pem exists without cert.pem; delete it or regenerate everything" >&2
        exit 1
    fi
    agency_signer "$line"
    ADDED+=("$id")
done
if [[ $MODE == add ]]; then
    echo "make-test-pki: added signers for ${#ADDED[@]} agencies: ${ADDED[*]:-none}"
    # Git does not keep the keys' 0600 mode (a clone has the umask's): restore it, contents untouched.
    for d in "${OUTPUT_DIRS[@]}"; do
        [[ -d $OUT/$d ]] && find "$OUT/$d" -type f \( -name '*key.pem' -o -name passphrase.txt \) -exec chmod 0600 {} +
    done
fi

if [[ $MODE == full ]]; then
# The social-protection key again, as encrypted PKCS#8 (PBES2, AES-256-CBC, HMAC-SHA256).
(umask 077 && printf '%s' 'test-passphrase-only' > "$SP/passphrase.txt")
(umask 077 && "$OPENSSL" pkcs8 -topk8 -v2 aes-256-cbc -in "$SP/key.pem" \
    -passout "file:$SP/passphrase.txt" -out "$SP/key.enc.pem")
chmod 0600 "$SP/passphrase.txt" "$SP/key.enc.pem"

# --------------------------------------------------------------------------------------
# 3. Negative cases
# --------------------------------------------------------------------------------------
# 3a. expired: validity entirely in the past (but inside the CA's validity).
signer_dn "Петров" "Игорь Николаевич" "Консультант" "$ORG_SOCIAL" \
          "i.petrov@social-protection.mezhved-test.invalid" \
          "$OGRN_SOCIAL" "$(snils 445566778)" "$INNLE_SOCIAL" |
    gost_signer "$N/expired" gost256 gost-ca "$G/ca.pem" "$G/ca.key.pem" \
                "$EXPIRED_START" "$EXPIRED_END"

# 3b. revoked: a normal signer, then revoked (keyCompromise) and listed in gost/ca.crl.pem.
signer_dn "Соколова" "Анна Дмитриевна" "Ведущий специалист" "$ORG_HEALTH" \
          "a.sokolova@health.mezhved-test.invalid" \
          "$OGRN_HEALTH" "$(snils 556677889)" "$INNLE_HEALTH" |
    gost_signer "$N/revoked" gost256 gost-ca "$G/ca.pem" "$G/ca.key.pem" \
                "$SIGNER_START" "$SIGNER_END"
CA_DB="$WORK/db/gost-ca" "$OPENSSL" ca -batch -config "$WORK/ca.cnf" \
    -cert "$G/ca.pem" -keyfile "$G/ca.key.pem" \
    -revoke "$N/revoked/cert.pem" -crl_reason keyCompromise 2> "$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }

# The CRL of gost/ca (contains only the revoked signer).
CA_DB="$WORK/db/gost-ca" "$OPENSSL" ca -batch -gencrl -config "$WORK/ca.cnf" \
    -cert "$G/ca.pem" -keyfile "$G/ca.key.pem" -md md_gost12_256 \
    -crldays "$CRL_DAYS" -crlexts crl_ext -out "$G/ca.crl.pem" 2> "$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
# The same CRL in DER, as the signers' CRL distribution point serves it (http://127.0.0.1:8089/ca.crl).
"$OPENSSL" crl -in "$G/ca.crl.pem" -outform DER -out "$G/ca.crl"

# 3c. untrusted: a separate GOST root that is in no trust store, and a signer under it.
init_ca_db untrusted-root
new_key gost256 "$U/root-ca.key.pem"
make_csr "$U/root-ca.key.pem" "$WORK/untrusted-root.csr" <<EOF
C  = RU
O  = mezhved TEST Untrusted PKI
OU = TEST - не входит ни в одно хранилище доверия
CN = mezhved TEST Untrusted GOST Root CA
EOF
issue untrusted-root "$WORK/untrusted-root.csr" "$U/root-ca.pem" - "$U/root-ca.key.pem" \
      md_gost12_256 "$CA_START" "$CA_END" ext_root
signer_dn "Орлов" "Денис Андреевич" "Начальник отдела" "$ORG_EMPLOYMENT" \
          "d.orlov@employment.mezhved-test.invalid" \
          "$OGRN_EMPLOYMENT" "$(snils 667788990)" "$INNLE_EMPLOYMENT" |
    CDP_URL=http://127.0.0.1:8089/untrusted-root.crl \
    gost_signer "$U" gost256 untrusted-root "$U/root-ca.pem" "$U/root-ca.key.pem" \
                "$SIGNER_START" "$SIGNER_END"

# --------------------------------------------------------------------------------------
# 4. RSA and ECDSA (interop with xmlsec1 / foreign verifiers)
# --------------------------------------------------------------------------------------
init_ca_db rsa-root
new_key rsa3072 "$R/root-ca.key.pem"
make_csr "$R/root-ca.key.pem" "$WORK/rsa-root.csr" <<EOF
C  = RU
O  = mezhved TEST PKI
OU = TEST - не для реального использования
CN = mezhved TEST RSA Root CA
EOF
issue rsa-root "$WORK/rsa-root.csr" "$R/root-ca.pem" - "$R/root-ca.key.pem" \
      sha256 "$CA_START" "$CA_END" ext_root
new_key rsa2048 "$R/signer.key.pem"
make_csr "$R/signer.key.pem" "$WORK/rsa-signer.csr" <<EOF
C            = RU
O            = $ORG_SOCIAL
OU           = TEST - тестовый сертификат RSA
CN           = Иванова Мария Петровна (TEST RSA)
emailAddress = m.ivanova@social-protection.mezhved-test.invalid
EOF
issue rsa-root "$WORK/rsa-signer.csr" "$R/signer.pem" "$R/root-ca.pem" "$R/root-ca.key.pem" \
      sha256 "$SIGNER_START" "$SIGNER_END" ext_rsa_signer

init_ca_db ecdsa-root
new_key p256 "$E/root-ca.key.pem"
make_csr "$E/root-ca.key.pem" "$WORK/ecdsa-root.csr" <<EOF
C  = RU
O  = mezhved TEST PKI
OU = TEST - не для реального использования
CN = mezhved TEST ECDSA Root CA
EOF
issue ecdsa-root "$WORK/ecdsa-root.csr" "$E/root-ca.pem" - "$E/root-ca.key.pem" \
      sha256 "$CA_START" "$CA_END" ext_root
new_key p256 "$E/signer.key.pem"
make_csr "$E/signer.key.pem" "$WORK/ecdsa-signer.csr" <<EOF
C            = RU
O            = $ORG_HEALTH
OU           = TEST - тестовый сертификат ECDSA P-256
CN           = Смирнов Алексей Викторович (TEST ECDSA P-256)
emailAddress = a.smirnov@health.mezhved-test.invalid
EOF
issue ecdsa-root "$WORK/ecdsa-signer.csr" "$E/signer.pem" "$E/root-ca.pem" "$E/root-ca.key.pem" \
      sha256 "$SIGNER_START" "$SIGNER_END" ext_ec_signer
new_key p384 "$E/signer-p384.key.pem"
make_csr "$E/signer-p384.key.pem" "$WORK/ecdsa-signer-p384.csr" <<EOF
C            = RU
O            = $ORG_EMPLOYMENT
OU           = TEST - тестовый сертификат ECDSA P-384
CN           = Кузнецова Ольга Сергеевна (TEST ECDSA P-384)
emailAddress = o.kuznetsova@employment.mezhved-test.invalid
EOF
issue ecdsa-root "$WORK/ecdsa-signer-p384.csr" "$E/signer-p384.pem" "$E/root-ca.pem" \
      "$E/root-ca.key.pem" sha384 "$SIGNER_START" "$SIGNER_END" ext_ec_signer

# --------------------------------------------------------------------------------------
# 5. Trust stores (roots only) + `openssl rehash` symlinks
# --------------------------------------------------------------------------------------
mkdir -p "$T/gost" "$T/rsa" "$T/ecdsa" "$T/all"
cp "$G/root-ca.pem" "$T/gost/gost-root-ca.pem"
cp "$R/root-ca.pem" "$T/rsa/rsa-root-ca.pem"
cp "$E/root-ca.pem" "$T/ecdsa/ecdsa-root-ca.pem"
cp "$G/root-ca.pem" "$T/all/gost-root-ca.pem"
cp "$R/root-ca.pem" "$T/all/rsa-root-ca.pem"
cp "$E/root-ca.pem" "$T/all/ecdsa-root-ca.pem"
for d in gost rsa ecdsa all; do "$OPENSSL" rehash "$T/$d"; done
fi

# --------------------------------------------------------------------------------------
# 6. Self-check
# --------------------------------------------------------------------------------------
PASS=0
FAIL=0
ok()  { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "SELF-CHECK FAILED: $*" >&2; }

# expect_verify_ok DESC  openssl-verify-args...
expect_verify_ok() {
    local desc=$1; shift
    local out
    if out=$("$OPENSSL" verify -x509_strict "$@" 2>&1); then ok; else bad "$desc: $out"; fi
}
# expect_verify_fail DESC PATTERN  openssl-verify-args...  (must fail with PATTERN in output)
expect_verify_fail() {
    local desc=$1 pattern=$2; shift 2
    local out
    if out=$("$OPENSSL" verify -x509_strict "$@" 2>&1); then
        bad "$desc: verified but must fail"
    elif grep -q "$pattern" <<<"$out"; then ok
    else bad "$desc: failed for another reason: $out"
    fi
}

CRL=(-crl_check -CRLfile "$G/ca.crl.pem")
expect_verify_ok "gost/ca" -CApath "$T/gost" "$G/ca.pem"
for a in "${AGENCY_IDS[@]}"; do
    expect_verify_ok "agency $a" -CApath "$T/gost" -untrusted "$G/ca.pem" "$A/$a/cert.pem"
    expect_verify_ok "agency $a + CRL" -CApath "$T/gost" -untrusted "$G/ca.pem" "${CRL[@]}" "$A/$a/cert.pem"
    expect_verify_ok "agency $a via trust/all" -CApath "$T/all" -untrusted "$G/ca.pem" "$A/$a/cert.pem"
done
expect_verify_fail "revoked + CRL" "certificate revoked" \
    -CApath "$T/gost" -untrusted "$G/ca.pem" "${CRL[@]}" "$N/revoked/cert.pem"
expect_verify_ok "revoked without CRL (chain itself is fine)" \
    -CApath "$T/gost" -untrusted "$G/ca.pem" "$N/revoked/cert.pem"
expect_verify_fail "expired" "certificate has expired" \
    -CApath "$T/gost" -untrusted "$G/ca.pem" "$N/expired/cert.pem"
expect_verify_ok "expired, checked at 2020-06-01" -attime "$(date -u -d 2020-06-01 +%s)" \
    -CApath "$T/gost" -untrusted "$G/ca.pem" "$N/expired/cert.pem"
expect_verify_fail "untrusted vs trust/gost" "unable to get local issuer certificate" \
    -CApath "$T/gost" -untrusted "$G/ca.pem" "$U/cert.pem"
expect_verify_fail "untrusted vs trust/all" "unable to get local issuer certificate" \
    -CApath "$T/all" "$U/cert.pem"
expect_verify_ok "untrusted vs its own root" -CAfile "$U/root-ca.pem" "$U/cert.pem"
expect_verify_ok "rsa signer" -CApath "$T/rsa" "$R/signer.pem"
expect_verify_ok "ecdsa signer" -CApath "$T/ecdsa" "$E/signer.pem"
expect_verify_ok "ecdsa p384 signer" -CApath "$T/ecdsa" "$E/signer-p384.pem"
expect_verify_ok "rsa signer via trust/all" -CApath "$T/all" "$R/signer.pem"
expect_verify_ok "ecdsa signer via trust/all" -CApath "$T/all" "$E/signer.pem"
expect_verify_fail "rsa signer vs trust/gost" "unable to get local issuer certificate" \
    -CApath "$T/gost" "$R/signer.pem"

# CRL signature and issuer.
if "$OPENSSL" crl -in "$G/ca.crl.pem" -CAfile "$G/ca.pem" -noout 2>&1 | grep -q 'verify OK'
then ok; else bad "CRL signature"; fi

# Qualified-certificate attributes and extensions present in every GOST signer.
for c in "$A"/*/cert.pem "$N"/{expired,revoked,untrusted}/cert.pem; do
    text=$("$OPENSSL" x509 -in "$c" -noout -text -nameopt utf8)
    for needle in 'OGRN' 'SNILS' 'INNLE\|1\.2\.643\.100\.4' 'Signing Tool of Subject\|1\.2\.643\.100\.111' \
                  'IdentificationKind\|1\.2\.643\.100\.114' 'Class of Signing Tool KC1\|1\.2\.643\.100\.113\.1' \
                  'Digital Signature, Non Repudiation' 'GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)'; do
        if grep -q "$needle" <<<"$text"; then ok; else bad "$c: no '$needle' in x509 -text"; fi
    done
    # subjectSignTool must hold real UTF-8 (not double-encoded Latin-1).
    if "$OPENSSL" x509 -in "$c" -outform DER | grep -aqF 'TEST СКЗИ mezhved'
    then ok; else bad "$c: subjectSignTool is not the expected UTF-8 text"; fi
done
if "$OPENSSL" x509 -in "$G/ca.pem" -outform DER | grep -aqF 'TEST ПАК УЦ mezhved'
then ok; else bad "gost/ca.pem: issuerSignTool is not the expected UTF-8 text"; fi
if "$OPENSSL" x509 -in "$G/ca.pem" -noout -text | grep -q 'Signing Tool of Issuer\|1\.2\.643\.100\.112'
then ok; else bad "gost/ca.pem: no issuerSignTool"; fi
if "$OPENSSL" x509 -in "$A/health/cert.pem" -noout -text | grep -q 'GOST R 34.10-2012 with 512 bit modulus'
then ok; else bad "health key is not GOST 2012-512"; fi

# Every agency signer's OGRN/INNLE and O are the directory's, its SN + GN, CN and title the
# directory's headOfficial, and the directory points at the certificate.
for a in "${AGENCY_IDS[@]}"; do
    subject=$("$OPENSSL" x509 -in "$A/$a/cert.pem" -noout -subject -nameopt multiline,utf8,-esc_msb)
    field() { sed -n "s/^ *$1 *= //p" <<<"$subject"; }
    for pair in "ogrn:OGRN" "inn:INNLE" "fullName:organizationName" "headOfficial.name:commonName" "headOfficial.position:title"; do
        want=$(directory_field "$a" ".${pair%%:*}")
        if [[ -n $want && $(field "${pair#*:}") == "$want" ]]; then ok
        else bad "$a: ${pair#*:} '$(field "${pair#*:}")' is not the directory's ${pair%%:*} '$want'"; fi
    done
    if [[ "$(field surname) $(field givenName)" == "$(directory_field "$a" .headOfficial.name)" ]]; then ok
    else bad "$a: SN + GN '$(field surname) $(field givenName)' is not the directory's headOfficial.name"; fi
    if [[ $(directory_field "$a" .certificate) == "Certificates/agencies/$a/cert.pem" ]]
    then ok; else bad "$a: agencies.json does not name Certificates/agencies/$a/cert.pem"; fi
done

# Every key: unencrypted PKCS#8 PEM, mode 0600, matching its certificate.
check_key() {
    local key=$1 cert=$2
    if [[ $(head -1 "$key") == '-----BEGIN PRIVATE KEY-----' ]]; then ok; else bad "$key: not PKCS#8 PEM"; fi
    if [[ $(stat -c %a "$key") == 600 ]]; then ok; else bad "$key: mode is not 0600"; fi
    if [[ $("$OPENSSL" pkey -in "$key" -pubout) == $("$OPENSSL" x509 -in "$cert" -noout -pubkey) ]]
    then ok; else bad "$key does not match $cert"; fi
}
check_key "$G/root-ca.key.pem" "$G/root-ca.pem"
check_key "$G/ca.key.pem" "$G/ca.pem"
for a in "${AGENCY_IDS[@]}"; do check_key "$A/$a/key.pem" "$A/$a/cert.pem"; done
for n in expired revoked untrusted; do check_key "$N/$n/key.pem" "$N/$n/cert.pem"; done
check_key "$U/root-ca.key.pem" "$U/root-ca.pem"
check_key "$R/root-ca.key.pem" "$R/root-ca.pem"
check_key "$R/signer.key.pem" "$R/signer.pem"
check_key "$E/root-ca.key.pem" "$E/root-ca.pem"
check_key "$E/signer.key.pem" "$E/signer.pem"
check_key "$E/signer-p384.key.pem" "$E/signer-p384.pem"

# The encrypted key decrypts with the passphrase file to the same key.
if [[ $(head -1 "$SP/key.enc.pem") == '-----BEGIN ENCRYPTED PRIVATE KEY-----' &&
      $("$OPENSSL" pkey -in "$SP/key.enc.pem" -passin "file:$SP/passphrase.txt" -pubout) == \
      $("$OPENSSL" pkey -in "$SP/key.pem" -pubout) ]]
then ok; else bad "key.enc.pem does not decrypt to key.pem"; fi

echo "make-test-pki: generated in $OUT; self-check: $PASS passed, $FAIL failed"
(( FAIL == 0 ))
