#!/usr/bin/env bash
# make-samples.sh - (re)generates the sample interagency documents in Samples/ from the form
# files in Samples/forms/: composes each document, signs it with the sender's TEST key
# (Certificates/agencies/<sender>/, whole document, the TEST CA in KeyInfo), validates it,
# verifies the signature against the TEST GOST root with the CA's CRL, and renders it.
#
#   Samples/make-samples.sh [--screenshots]
#
# --screenshots also takes docs/render-request.png and docs/render-answer.png (the first request
# and its answer) with headless Chromium.
#
# Builds with `swift build --scratch-path ${MEZHVED_BUILD_PATH:-.build}` and uses its debug
# binary; MEZHVED=/path/to/mezhved uses that binary instead (no build).
#
# Writes
#   Samples/<name>.signed.xml        the signed documents
#   Samples/html/<name>.html         their printed form (`mezhved render`)
#   Samples/request-unemployment-status.xml
#                                    the first request UNSIGNED (scripts/demo.sh signs it)
# Exits non-zero as soon as a step fails.
#
# Run it again after the test PKI is regenerated (Certificates/make-test-pki.sh): the
# signatures depend on the keys. GOST signatures are randomized, so every run gives new
# signature bytes; the documents' content stays the same. A receipt records the moment it is
# made (ReceivedAt, and its Id); with `faketime` (Debian package faketime) on PATH the
# receipts are composed at the moments of the scenario (March 2026), without it at the
# current time (a warning says so).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly FORMS=Samples/forms
readonly HTML=Samples/html
readonly CHAIN=Certificates/gost/ca.pem
readonly TRUST=(--trust Certificates/trust/gost --crl Certificates/gost/ca.crl.pem)

screenshots=false
case ${1:-} in
    --screenshots) screenshots=true ;;
    '') ;;
    *) echo "usage: Samples/make-samples.sh [--screenshots]" >&2; exit 64 ;;
esac

if [[ -n ${MEZHVED:-} ]]; then
    mezhved=$MEZHVED
else
    build_path=${MEZHVED_BUILD_PATH:-.build}
    swift build --scratch-path "$build_path"
    mezhved="$(swift build --scratch-path "$build_path" --show-bin-path)/mezhved"
fi
[[ -x $mezhved ]] || { echo "make-samples: no mezhved binary at $mezhved" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mezhved-samples.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$HTML"

step() { printf '\n--- %s\n' "$*"; }

# sign_as AGENCY IN OUT: signs IN with the agency's TEST key, the whole document.
sign_as() {
    local agency=$1 in=$2 out=$3 dir=Certificates/agencies/$1
    [[ -f $dir/key.pem && -f $dir/cert.pem ]] || { echo "make-samples: no TEST key for $agency in $dir" >&2; return 1; }
    "$mezhved" sign "$in" --key "$dir/key.pem" --cert "$dir/cert.pem" --chain "$CHAIN" -o "$out"
}

# check NAME [--request REQUEST.xml]: validates, verifies and renders Samples/NAME.signed.xml.
check() {
    local name=$1 file=Samples/$1.signed.xml
    shift
    "$mezhved" validate "$file" "$@"
    "$mezhved" verify "$file" "${TRUST[@]}" >"$WORK/verify.txt" || { cat "$WORK/verify.txt" >&2; return 1; }
    head -2 "$WORK/verify.txt"
    "$mezhved" render "$file" "${TRUST[@]}" -o "$HTML/$name.html"
    # The page's signature mark must say that the signature was checked and is valid.
    grep -q 'подпись действительна' "$HTML/$name.html" ||
        { echo "make-samples: the signature mark in $HTML/$name.html does not say the signature is valid" >&2; return 1; }
    chmod 0644 "$file" "$HTML/$name.html"
    echo "wrote $file and $HTML/$name.html"
}

# request NAME SENDER [UNSIGNED_OUT]: composes Samples/forms/NAME.yaml, signs it as SENDER.
request() {
    local name=$1 sender=$2 unsigned=${3:-$WORK/$1.xml}
    step "request $name ($sender)"
    "$mezhved" request new --form "$FORMS/$name.yaml" -o "$unsigned"
    sign_as "$sender" "$unsigned" "Samples/$name.signed.xml"
    check "$name"
}

# answer NAME SENDER REQUEST_NAME: composes Samples/forms/NAME.yaml as the answer to
# Samples/REQUEST_NAME.signed.xml, signs it as SENDER (the request's recipient).
answer() {
    local name=$1 sender=$2 request=Samples/$3.signed.xml
    step "answer $name ($sender) to $request"
    "$mezhved" answer new --request "$request" --form "$FORMS/$name.yaml" -o "$WORK/$name.xml"
    sign_as "$sender" "$WORK/$name.xml" "Samples/$name.signed.xml"
    check "$name" --request "$request"
}

# receipt NAME SENDER DOCUMENT_NAME AT OPTIONS...: a receipt for Samples/DOCUMENT_NAME.signed.xml,
# made at the moment AT (with faketime; see above).
receipt() {
    local name=$1 sender=$2 document=Samples/$3.signed.xml at=$4
    local -a clock=()
    shift 4
    step "receipt $name ($sender) for $document"
    if command -v faketime >/dev/null; then
        clock=(faketime "$at")
    else
        echo "make-samples: warning: faketime is not installed; $name records the current time, not $at" >&2
    fi
    "${clock[@]}" "$mezhved" receipt new --document "$document" "$@" -o "$WORK/$name.xml"
    sign_as "$sender" "$WORK/$name.xml" "Samples/$name.signed.xml"
    check "$name"
}

# 1. Decree 562, 2.2.7 пп. 3: social protection asks the employment committee whether a citizen is
#    registered as unemployed. The unsigned request is kept for scripts/demo.sh.
request request-unemployment-status social-protection Samples/request-unemployment-status.xml
chmod 0644 Samples/request-unemployment-status.xml
# 2. ... and the employment committee provides the information.
answer answer-unemployment-status employment request-unemployment-status
# 3. A second request of the kind, about a citizen the employment service does not know,
# 4. ... and the employment committee's reasoned refusal (562, 3.2).
request request-unemployment-status-2 social-protection
answer answer-refusal employment request-unemployment-status-2
# 5. Order 459-р, 2.2 пп. 1-2: the health committee informs social protection about a child of
#    the early-help target group (signed with the GOST 2012-512 key).
request request-early-help-child health
# 5a. ... and social protection answers: the child is in the target group's record and the family
#     has been referred to an early-help organisation (459-р, 2.2).
answer answer-early-help-child social-protection request-early-help-child
# 6. Order 459-р, 2.3 пп. 3: an education institution informs social protection about a family
#    with a child of the target group.
request request-family-in-need ppms-center
# 7. The employment committee registers request 1 (accepted, with its incoming number),
receipt receipt-accepted employment request-unemployment-status '2026-03-02 10:47:00 +0300' \
    --incoming-number "03-вх-1187/26" --incoming-date 2026-03-02
# 8. ... and rejects the same request when it arrives a second time (the digest is the same).
receipt receipt-rejected employment request-unemployment-status '2026-03-03 09:12:00 +0300' \
    --reject "Документ поступил повторно: запрос № 02-11/4817 от 02.03.2026 зарегистрирован 02.03.2026 под входящим № 03-вх-1187/26 и принят к исполнению; повторная регистрация не производится."

if $screenshots; then
    step "screenshots"
    # 900 px wide like a sheet on screen; 1650 px high so that the whole request, down to the
    # signature mark and the executor mark, is in the picture.
    shoot() {
        chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=900,1650 \
            --screenshot="$2" "file://$PWD/$HTML/$1.html" 2>/dev/null
        [[ -s $2 ]] || { echo "make-samples: no screenshot $2" >&2; return 1; }
        echo "wrote $2"
    }
    shoot request-unemployment-status docs/render-request.png
    shoot answer-unemployment-status docs/render-answer.png
fi

step "done"
ls -l Samples/*.signed.xml "$HTML"/*.html
