# pki-lib.sh - shell helpers shared by the TEST PKI generators (make-test-pki.sh,
# make-revocation-pki.sh): registration-number check digits, CSRs, throw-away `openssl ca`
# databases and the subject of a qualified certificate. Sourced, not run. The caller sets
# OPENSSL (the openssl command) and WORK (its scratch folder).

# OGRN: 12 digits + control = (12-digit number mod 11) mod 10.
ogrn() { local b=$1; echo "${b}$(( (10#$b % 11) % 10 ))"; }

# INN of a legal entity: 9 digits + control = (sum(d_i * w_i) mod 11) mod 10.
innle() {
    local b=$1 w=(2 4 10 3 5 9 4 6 8) s=0 i
    for i in {0..8}; do s=$(( s + ${b:i:1} * w[i] )); done
    echo "${b}$(( (s % 11) % 10 ))"
}

# SNILS: 9 digits + 2-digit control; sum of d_i * (9 - i); <100 as is, 100/101 -> 00,
# otherwise mod 101 (and 100 -> 00).
snils() {
    local b=$1 s=0 i c
    for i in {0..8}; do s=$(( s + ${b:i:1} * (9 - i) )); done
    if (( s < 100 )); then c=$s
    elif (( s == 100 || s == 101 )); then c=0
    else c=$(( s % 101 )); (( c == 100 )) && c=0
    fi
    printf '%s%02d\n' "$b" "$c"
}

# new_key TYPE FILE  - unencrypted PKCS#8 PEM, mode 0600 from the start.
new_key() {
    local type=$1 file=$2
    local -a opts
    case $type in
        gost256) opts=(-algorithm gost2012_256 -pkeyopt paramset:A) ;;   # CryptoPro-A paramset
        gost512) opts=(-algorithm gost2012_512 -pkeyopt paramset:A) ;;   # TC26 512 paramset A
        rsa2048) opts=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
        rsa3072) opts=(-algorithm RSA -pkeyopt rsa_keygen_bits:3072) ;;
        p256)    opts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve) ;;
        p384)    opts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve) ;;
        *) echo "unknown key type $type" >&2; return 1 ;;
    esac
    mkdir -p "$(dirname "$file")"
    (umask 077 && "$OPENSSL" genpkey -quiet "${opts[@]}" -out "$file")
    chmod 0600 "$file"
}

# md_for KEYFILE - the digest that goes with a key (for its own CSR / the certs it signs).
# (GOST keys' `pkey -text` does not show the size, so look at the public key's OIDs.)
md_for() {
    local oids
    oids=$("$OPENSSL" pkey -in "$1" -pubout -outform DER | "$OPENSSL" asn1parse -inform DER)
    case $oids in
        *"GOST R 34.10-2012 with 512 bit modulus"*) echo md_gost12_512 ;;
        *"GOST R 34.10-2012 with 256 bit modulus"*) echo md_gost12_256 ;;
        *secp384r1*) echo sha384 ;;
        *) echo sha256 ;;
    esac
}

# make_csr KEY CSR  - DN lines ("attr = value") come on stdin.
make_csr() {
    local key=$1 csr=$2 md
    md=$(md_for "$key")
    {
        printf '[req]\nprompt = no\nutf8 = yes\nstring_mask = utf8only\ndistinguished_name = dn\n[dn]\n'
        cat
    } > "$csr.cnf"
    "$OPENSSL" req -new -config "$csr.cnf" -key "$key" "-$md" -out "$csr"
}

# init_ca_db NAME - a throw-away `openssl ca` database under $WORK.
init_ca_db() {
    local db="$WORK/db/$1"
    mkdir -p "$db/newcerts"
    : > "$db/index.txt"
    echo 'unique_subject = no' > "$db/index.txt.attr"
    echo 01 > "$db/crlnumber"
    echo 01 > "$db/serial"
}

# signer_dn SURNAME GIVEN TITLE ORG EMAIL OGRN SNILS INNLE [STREET]
#   Subject of a qualified certificate of a legal entity's official (FSB order 795).
#   STREET defaults to the committees' address.
signer_dn() {
    cat <<EOF
C            = RU
ST           = 47 Ленинградская область
L            = Санкт-Петербург
street       = ${9:-Суворовский пр-кт, д. 67}
O            = $4
OU           = TEST - тестовый сертификат, не для реального документооборота
title        = $3
SN           = $1
GN           = $2
CN           = $1 $2
emailAddress = $5
OGRN         = $6
SNILS        = $7
INNLE        = $8
EOF
}
