#!/usr/bin/env bash
# The end-to-end demo on Samples/: sets up, builds (release), signs the sample interagency
# request with the social-protection committee's TEST key, verifies it, shows that a one-character
# change is caught, signs with the encrypted key, and prints the JSON report; then signs with
# XAdES-T through a local TEST time-stamping authority and validates it as a qualified signature
# with revocation fetched from the signer's CRL distribution point (both served on loopback);
# finally registers the exchange in a tamper-evident archive, audits it, and shows that a changed
# byte in the archive is named by the audit.
#
#   scripts/demo.sh
#
# Output goes to out/demo/. MEZHVED_BUILD_PATH=DIR builds in DIR instead of .build.
# Exits 0 only if every step behaved as expected.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly SAMPLE=Samples/request-unemployment-status.xml
readonly SIGNER=Certificates/agencies/social-protection
readonly OUT=out/demo
readonly SIGNED=$OUT/request-unemployment-status.signed.xml
readonly TAMPERED=$OUT/request-unemployment-status.tampered.xml
readonly SIGNED_ENC=$OUT/request-unemployment-status.signed-with-encrypted-key.xml
readonly TRUST=(--trust Certificates/trust/gost --crl Certificates/gost/ca.crl.pem)

section() { printf '\n=== %s ===\n' "$*"; }
fail() {
    printf '\ndemo: FAILED: %s\n' "$*" >&2
    exit 1
}
# Prints a command line, the built binary's path shortened to "mezhved".
print_command() {
    local line="$*"
    [ -n "${mezhved:-}" ] && line=${line//"$mezhved"/mezhved}
    printf '$ %s\n' "$line"
}
# expect CODE CMD...: runs CMD (printed first) and fails the demo unless it exits with CODE.
expect() {
    local want=$1 got=0
    shift
    print_command "$@"
    "$@" || got=$?
    [ "$got" -eq "$want" ] || fail "expected exit code $want, got $got from: $*"
    printf '(exit code %d, as expected)\n' "$got"
}

build_options=(-c release --static-swift-stdlib)
[ -n "${MEZHVED_BUILD_PATH:-}" ] && build_options+=(--scratch-path "$MEZHVED_BUILD_PATH")

section "1. Set-up (scripts/setup.sh --no-python)"
scripts/setup.sh --no-python || fail "set-up failed"

section "2. Build (swift build ${build_options[*]})"
swift build "${build_options[@]}" || fail "the build failed"
mezhved="$(swift build "${build_options[@]}" --show-bin-path)/mezhved"
[ -x "$mezhved" ] || fail "no binary at $mezhved after the build"
echo "binary: $mezhved"

mkdir -p "$OUT"
rm -f "$SIGNED" "$TAMPERED" "$SIGNED_ENC"

section "3. Sign $SAMPLE with the social-protection committee's TEST key (GOST R 34.10-2012 256)"
expect 0 "$mezhved" sign "$SAMPLE" --key "$SIGNER/key.pem" --cert "$SIGNER/cert.pem" \
    --chain Certificates/gost/ca.pem -o "$SIGNED"
echo "wrote $SIGNED ($(wc -c <"$SIGNED") bytes)"

section "4. Verify the signed request against the TEST GOST root, with the CA's CRL"
expect 0 "$mezhved" verify "$SIGNED" "${TRUST[@]}"

section "5. Tamper: change one letter of the citizen's last name, then verify"
sed 's|<LastName>Васильев</LastName>|<LastName>Васильёв</LastName>|' "$SIGNED" >"$TAMPERED"
cmp -s "$SIGNED" "$TAMPERED" && fail "the tampering edit did not change $TAMPERED (is the sample's <LastName> still Васильев?)"
print_command diff "$SIGNED" "$TAMPERED"
diff "$SIGNED" "$TAMPERED" || true
expect 1 "$mezhved" verify "$TAMPERED" "${TRUST[@]}"
echo "the one-letter change was caught: INVALID, exit code 1"

section "6. Sign with the encrypted key (passphrase from a file), then verify"
expect 0 "$mezhved" sign "$SAMPLE" --key "$SIGNER/key.enc.pem" --cert "$SIGNER/cert.pem" \
    --chain Certificates/gost/ca.pem --passphrase-file "$SIGNER/passphrase.txt" -o "$SIGNED_ENC"
expect 0 "$mezhved" verify "$SIGNED_ENC" "${TRUST[@]}"

section "7. Verify with --json"
json=$("$mezhved" verify --json "$SIGNED" "${TRUST[@]}") || fail "verify --json did not exit 0"
printf '%s\n' "$json"
grep -q '"status" : "valid"' <<<"$json" || fail "the JSON report does not say \"status\" : \"valid\""

section "8. Compose an answer to the signed request from a form, sign it as the employment committee, validate it, render it"
expect 0 "$mezhved" answer new --request "$SIGNED" --form Samples/forms/answer-unemployment-status.yaml \
    --key Certificates/agencies/employment/key.pem --cert Certificates/agencies/employment/cert.pem \
    --chain Certificates/gost/ca.pem -o "$OUT/answer.signed.xml"
expect 0 "$mezhved" validate "$OUT/answer.signed.xml" --request "$SIGNED"
expect 0 "$mezhved" verify "$OUT/answer.signed.xml" "${TRUST[@]}"
expect 0 "$mezhved" render "$OUT/answer.signed.xml" "${TRUST[@]}" -o "$OUT/answer.html"
echo "the printed form is in $OUT/answer.html (open it in a browser)"

section "9. A form with mistakes: every problem is listed at once (exit code 6)"
sed -e 's/recipient: employment/recipient: employmnet/' -e 's/^\(\s*snils: "[0-9-]* \)[0-9][0-9]"/\100"/' \
    Samples/forms/request-unemployment-status.yaml >"$OUT/broken-form.yaml"
expect 6 "$mezhved" request new --form "$OUT/broken-form.yaml" -o "$OUT/broken.xml"

section "10. XAdES-T through a TEST time-stamping authority, then qualified validation (63-FZ art. 11)"
# The TEST TSA (openssl ts -reply behind a small HTTP front) and the signers' CRL distribution
# point http://127.0.0.1:8089/ca.crl, both on loopback; stopped when the demo ends.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
servers=()
trap 'for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
tsa_port=$(free_port)
python3 Tests/Interop/tsa_server.py "$tsa_port" >"$OUT/tsa.log" 2>&1 &
servers+=($!)
wait_port "$tsa_port" || fail "the TEST TSA did not start (see $OUT/tsa.log)"
(exec 3<>/dev/tcp/127.0.0.1/8089) 2>/dev/null && fail "something already listens on 127.0.0.1:8089 (the signers' CRL distribution point)"
python3 -m http.server --bind 127.0.0.1 --directory Certificates/gost 8089 >"$OUT/crl-server.log" 2>&1 &
crl_server=$!
servers+=($crl_server)
wait_port 8089 || fail "the CRL server did not start (see $OUT/crl-server.log)"
expect 0 "$mezhved" sign "$SAMPLE" --key "$SIGNER/key.pem" --cert "$SIGNER/cert.pem" \
    --chain Certificates/gost/ca.pem --xades t --tsa "http://127.0.0.1:$tsa_port/tsa" -o "$OUT/request.xades-t.xml"
expect 0 "$mezhved" verify --report text "$OUT/request.xades-t.xml" --trust Certificates/trust/gost
"$mezhved" verify --report json "$OUT/request.xades-t.xml" --trust Certificates/trust/gost >"$OUT/request.xades-t.report.json" ||
    fail "verify --report json did not exit 0"
grep -q '"indication" : "TOTAL-PASSED"' "$OUT/request.xades-t.report.json" || fail "the JSON report is not TOTAL-PASSED"
echo "the archivable report is in $OUT/request.xades-t.report.json"
echo "now the CRL distribution point goes down: the revocation status cannot be known, so INDETERMINATE (TRY_LATER)"
kill "$crl_server"
wait "$crl_server" 2>/dev/null || true
expect 2 "$mezhved" verify --report text "$OUT/request.xades-t.xml" --trust Certificates/trust/gost --fetch-timeout 2

section "11. Register the exchange in the archive, then audit it (and catch a changed byte)"
ARCHIVE=$OUT/archive
rm -rf "$ARCHIVE" "$OUT/archive-data.key" "$OUT/archive-tampered"
export MEZHVED_ARCHIVE=$ARCHIVE MEZHVED_ARCHIVE_DATA_KEY_FILE=$OUT/archive-data.key MEZHVED_GATEWAY_CERT_FILE=$SIGNER/cert.pem
expect 0 "$mezhved" archive init --agency social-protection --outgoing-format '01-12/{seq:06}' \
    --incoming-format 'ЗКСЗН-{year}-{seq:06}' --data-key "$MEZHVED_ARCHIVE_DATA_KEY_FILE" --new-data-key \
    --gateway-cert "$SIGNER/cert.pem" --gateway-chain Certificates/gost/ca.pem --gateway-key "$SIGNER/key.pem"
echo "an outgoing document registers only under the number it is printed with: the sample's 02-11/4817 is refused"
expect 8 "$mezhved" archive register --outgoing "$SIGNED"
sed 's|number="02-11/4817"|number="01-12/000001"|' "$SAMPLE" >"$OUT/request-archived.xml"
expect 0 "$mezhved" sign "$OUT/request-archived.xml" --key "$SIGNER/key.pem" --cert "$SIGNER/cert.pem" \
    --chain Certificates/gost/ca.pem -o "$OUT/request-archived.signed.xml"
expect 0 "$mezhved" archive register --outgoing "$OUT/request-archived.signed.xml"
echo "an incoming document goes through the gateway's incoming workflow (qualified validation, schema and rules,"
echo "the recipient, a receipt): the gateway's configuration names the archive, the keys and the trust"
cat >"$OUT/gateway.yaml" <<YAML
agency: social-protection
archive: {path: archive, dataKey: archive-data.key}
signatories:
  - {id: head, key: ../../$SIGNER/key.pem, certificate: ../../$SIGNER/cert.pem, chain: ../../Certificates/gost/ca.pem}
trust: {anchors: [../../Certificates/trust/gost], crls: [../../Certificates/gost/ca.crl.pem]}
policy: {offline: true}
YAML
expect 0 "$mezhved" archive register --incoming "$OUT/answer.signed.xml" --gateway "$OUT/gateway.yaml"
expect 0 "$mezhved" archive list
expect 0 "$mezhved" archive checkpoint
expect 0 "$mezhved" archive audit --trust Certificates/trust/gost
expect 0 "$mezhved" archive audit --trust Certificates/trust/gost --qualified --offline --crl Certificates/gost/ca.crl.pem
cp -a "$ARCHIVE" "$OUT/archive-tampered"
object=$(find "$OUT/archive-tampered/objects" -type f | head -n 1)
printf 'X' | dd of="$object" bs=1 seek=200 conv=notrunc status=none
echo "changed one byte of $object"
MEZHVED_ARCHIVE=$OUT/archive-tampered expect 7 "$mezhved" archive audit --trust Certificates/trust/gost

section "12. A clerk's day through two gateways (Samples/gateway/): compose, number and sign in one step; receive, register, receipt; answer"
# Each agency runs its own gateway: a configuration (agency, archive, signatories, trust, policy)
# read once and checked as a whole. The archives live under out/demo/gateways/.
GATEWAYS=$OUT/gateways
SP=Samples/gateway/social-protection.yaml
EMP=Samples/gateway/employment.yaml
rm -rf "$GATEWAYS"
for agency in social-protection employment; do
    mkdir -p "$GATEWAYS/$agency"
    expect 0 "$mezhved" archive init --archive "$GATEWAYS/$agency/archive" --agency "$agency" \
        --outgoing-format "$( [ "$agency" = employment ] && echo '03-15/{seq:06}' || echo '01-12/{seq:06}')" \
        --incoming-format 'ВХ-{year}-{seq:06}' --data-key "$GATEWAYS/$agency/data.key" --new-data-key \
        --gateway-cert "Certificates/agencies/$agency/cert.pem" --gateway-chain Certificates/gost/ca.pem \
        --gateway-key "Certificates/agencies/$agency/key.pem" >/dev/null
done
expect 0 "$mezhved" gateway check --gateway "$SP"
echo
echo "The clerk of social protection composes the request from the form; the gateway takes the next"
echo "number from the journal into the document, signs it (XAdES-BES) and registers it:"
expect 0 "$mezhved" request new --gateway "$SP" --form Samples/forms/request-unemployment-status.yaml -o "$GATEWAYS/request.xml"
expect 0 "$mezhved" render "$GATEWAYS/request.xml" "${TRUST[@]}" -o "$GATEWAYS/request.html"
echo "the letter on letterhead, with its number and signature mark: $GATEWAYS/request.html"
grep -q '01-12/000001' "$GATEWAYS/request.html" || fail "the rendered letter does not carry the journal's number 01-12/000001"
echo
echo "The employment committee's gateway receives it: qualified signature, schema and rules, addressed"
echo "to it; registered under an incoming number, and a signed receipt goes back:"
expect 0 "$mezhved" incoming receive --gateway "$EMP" "$GATEWAYS/request.xml" --receipt-dir "$GATEWAYS"
expect 0 "$mezhved" incoming receive --gateway "$SP" "$GATEWAYS/request.xml.receipt.xml"
echo "the receipt moved the request to delivered:"
expect 0 "$mezhved" archive list --archive "$GATEWAYS/social-protection/archive"
echo
echo "The employment committee answers; the answer closes the request at social protection:"
expect 0 "$mezhved" answer new --gateway "$EMP" --request "$GATEWAYS/request.xml" \
    --form Samples/forms/answer-unemployment-status.yaml -o "$GATEWAYS/answer.xml"
expect 0 "$mezhved" incoming receive --gateway "$SP" "$GATEWAYS/answer.xml" --receipt-dir "$GATEWAYS"
expect 0 "$mezhved" archive list --archive "$GATEWAYS/social-protection/archive"
echo
echo "A request signed with another committee's key is refused before anything is numbered or signed:"
expect 8 "$mezhved" request new --form Samples/forms/request-unemployment-status.yaml \
    --key Certificates/agencies/health/key.pem --cert Certificates/agencies/health/cert.pem -o "$GATEWAYS/wrong-key.xml"
echo
echo "A received document altered on the way is quarantined with its reason (never dropped), and a"
echo "rejection receipt goes back:"
sed 's|<LastName>Васильев</LastName>|<LastName>Васильёв</LastName>|' "$GATEWAYS/request.xml" >"$GATEWAYS/request.altered.xml"
expect 12 "$mezhved" incoming receive --gateway "$EMP" "$GATEWAYS/request.altered.xml" --receipt-dir "$GATEWAYS"
echo "the quarantine keeps it, with its reason; --export gives it back byte for byte:"
expect 0 "$mezhved" incoming quarantine --gateway "$EMP"
echo
echo "The auditor checks the social protection archive against the gateway certificate its configuration pins:"
expect 0 "$mezhved" archive checkpoint --archive "$GATEWAYS/social-protection/archive"
expect 0 "$mezhved" archive audit --gateway "$SP"

section "13. Two gateways on the network (mezhved serve): the health committee asks social protection, and is answered"
# Each gateway serves on loopback with mutual TLS, pinning the other's TLS certificate; documents
# travel through each side's durable outbox, and each receipt is checked before it counts.
HEALTH=Samples/gateway/health.yaml
mkdir -p "$GATEWAYS/health"
expect 0 "$mezhved" archive init --archive "$GATEWAYS/health/archive" --agency health --outgoing-format '01-07/{seq:06}' \
    --incoming-format 'ВХ-{year}-{seq:06}' --data-key "$GATEWAYS/health/data.key" --new-data-key \
    --gateway-cert Certificates/agencies/health/cert.pem --gateway-chain Certificates/gost/ca.pem \
    --gateway-key Certificates/agencies/health/key.pem >/dev/null
SERVERS=()
# SIGTERM: each server finishes what is under way and exits 0 (only the servers are waited for).
stop_servers() {
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVERS=()
}
trap stop_servers EXIT
for config in "$SP" "$HEALTH"; do
    name=$(basename "$config" .yaml)
    "$mezhved" serve --config "$config" >"$GATEWAYS/$name.serve.out" 2>"$GATEWAYS/$name.serve.log" &
    SERVERS+=($!)
done
for name in social-protection health; do
    for _ in $(seq 1 100); do grep -q "listening on" "$GATEWAYS/$name.serve.out" 2>/dev/null && break; sleep 0.1; done
    grep -q "listening on" "$GATEWAYS/$name.serve.out" || fail "mezhved serve ($name) did not start: $(tail -5 "$GATEWAYS/$name.serve.log")"
    cat "$GATEWAYS/$name.serve.out"
done
# Waits until every message of a gateway's outbox has a verified receipt (at most 60 s).
wait_receipted() {
    for _ in $(seq 1 120); do
        "$mezhved" outbox list --gateway "$1" --json | grep -q '"state" *: *"\(queued\|waiting-for-[a-z]*\|sending\)"' || return 0
        sleep 0.5
    done
    fail "the outbox of $1 still waits for a receipt after 60 s: $("$mezhved" outbox list --gateway "$1")"
}
echo
echo "The health committee's clerk composes the request about a child of the early-help target group"
echo "(regulation 459-р) and sends it: numbered, signed, registered, and queued in the outbox:"
grep -v '^responseDeadline' Samples/forms/request-early-help-child.yaml >"$GATEWAYS/early-help-form.yaml"
expect 0 "$mezhved" request new --gateway "$HEALTH" --form "$GATEWAYS/early-help-form.yaml" -o "$GATEWAYS/early-help-request.xml" --send
wait_receipted "$HEALTH"
echo "The health committee's outbox: the request was delivered and social protection's signed receipt checked:"
expect 0 "$mezhved" outbox list --gateway "$HEALTH"
echo "Social protection's journal: the request registered under an incoming number, the receipt sent back:"
expect 0 "$mezhved" archive list --archive "$GATEWAYS/social-protection/archive" --direction incoming
echo
echo "Social protection answers; the answer travels back the same way and closes the request:"
expect 0 "$mezhved" answer new --gateway "$SP" --request "$GATEWAYS/early-help-request.xml" \
    --form Samples/forms/answer-early-help-child.yaml -o "$GATEWAYS/early-help-answer.xml" --send
wait_receipted "$SP"
expect 0 "$mezhved" outbox list --gateway "$SP"
echo "The health committee's journal: its request answered, the answer registered, a receipt for it:"
expect 0 "$mezhved" archive list --archive "$GATEWAYS/health/archive"
"$mezhved" archive list --archive "$GATEWAYS/health/archive" | grep -q 'outgoing	answered	.*request' ||
    fail "the health committee's request is not answered"
echo
echo "Each gateway keeps the other's signed checkpoints as its witness; the auditor checks the health"
echo "archive against the checkpoint social protection holds of it:"
expect 0 "$mezhved" archive checkpoint --archive "$GATEWAYS/health/archive"
for _ in $(seq 1 50); do ls "$GATEWAYS/social-protection/spool/witness/health/" 2>/dev/null | grep -q xml && break; sleep 0.2; done
expect 0 "$mezhved" archive audit --gateway "$HEALTH" --peers
stop_servers
trap - EXIT

section "Done"
echo "every step behaved as expected; the files are in $OUT/"
