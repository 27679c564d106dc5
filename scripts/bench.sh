#!/usr/bin/env bash
# Benchmarks for docs/benchmarks.md: in-process throughput beside raw OpenSSL (mezhved bench), and
# one process per document beside the xmlsec1 command line, in the same run.
#
#   scripts/bench.sh            # builds release, ~1 minute
#   SECONDS_PER_CASE=5 scripts/bench.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

per_case=${SECONDS_PER_CASE:-2}
runs=${RUNS:-100}
build_path=${MEZHVED_BUILD_PATH:-.build}

scripts/setup.sh --no-python >/dev/null
swift build -c release --scratch-path "$build_path" >/dev/null
bin="$build_path/release/mezhved"

echo "## Machine"
echo
echo "- $(uname -srm), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "- $(swift --version 2>&1 | head -n 1)"
echo "- $(openssl version), libxml2 $(xmllint --version 2>&1 | sed -n 's/.*using libxml version \([0-9]*\).*/\1/p'), xmlsec1 $(xmlsec1 --version | head -n 1)"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "## In process, one core ($per_case s a case)"
echo
"$bin" bench --seconds "$per_case" --markdown
echo
echo "## One process per document (RSA-2048, ~4 KB request, $runs runs each)"
echo

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
doc=Samples/request-unemployment-status.xml
# xmlsec1 needs a template: the document with an empty signature appended to the root.
python3 - "$doc" "$work/template.xml" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
sig = ('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
       '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
       '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
       '<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
       '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
       '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo>'
       '<SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>')
i = text.rindex("</")
open(sys.argv[2], "w", encoding="utf-8").write(text[:i] + sig + text[i:])
PY

time_runs() {  # prints milliseconds per run of the command given
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
    end=$(date +%s%N)
    echo $(( (end - start) / runs / 1000 ))
}

key=Certificates/rsa/signer.key.pem
cert=Certificates/rsa/signer.pem
"$bin" sign "$doc" --key "$key" --cert "$cert" -o "$work/m.xml"
xmlsec1 --sign --privkey-pem "$key,$cert" --output "$work/x.xml" "$work/template.xml"

ms_sign=$(time_runs "$bin" sign "$doc" --key "$key" --cert "$cert" -o "$work/m2.xml")
xs_sign=$(time_runs xmlsec1 --sign --privkey-pem "$key,$cert" --output "$work/x2.xml" "$work/template.xml")
ms_verify=$(time_runs "$bin" verify "$work/m.xml" --trust Certificates/trust/rsa)
xs_verify=$(time_runs xmlsec1 --verify --trusted-pem Certificates/rsa/root-ca.pem "$work/x.xml")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| operation | mezhved (µs/doc) | xmlsec1 (µs/doc) | mezhved / xmlsec1 time |"
echo "|---|---|---|---|"
echo "| sign | $ms_sign | $xs_sign | $(ratio "$ms_sign" "$xs_sign") |"
echo "| verify (with chain) | $ms_verify | $xs_verify | $(ratio "$ms_verify" "$xs_verify") |"
