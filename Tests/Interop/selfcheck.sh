#!/usr/bin/env bash
# Self-check of the independent GOST XMLDSig peer (gost_xmldsig.py) against
# OpenSSL 3.0 + GOST engine (Debian: libengine-gost-openssl).
#
# For every GOST R 34.10-2012 curve `openssl genpkey -engine gost` can make:
#   raw   py->ossl : gost_xmldsig.py raw-sign, `openssl dgst -verify` accepts it
#   raw   ossl->py : `openssl dgst -sign`, gost_xmldsig.py raw-verify accepts it
#   raw   negative : a flipped bit / wrong data is rejected
#   xml   roundtrip: sign -> verify of a small Cyrillic document (URI="" and #id),
#                    tampered text and tampered SignatureValue are rejected
#   xml   py->ossl : OpenSSL verifies the XML SignatureValue over c14n(SignedInfo)
#                    and re-computes the same DigestValue (c14n taken with lxml)
#   xml   ossl->py : SignatureValue replaced by an OpenSSL signature; verify accepts
# plus a few transform variants (inclusive c14n, #WithComments) on one curve.
#
# Prints PASS/FAIL lines and a summary; exits non-zero on any failure.
# Usage: Tests/Interop/selfcheck.sh        (PYTHON=... to pick the interpreter)
set -u

HERE="$(cd "$(dirname "$0")" && pwd)"
PY="${PYTHON:-python3}"
TOOL="$HERE/gost_xmldsig.py"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

pass=0
fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# check "description" command...  -> PASS when the command succeeds
check()  { local d="$1"; shift; if "$@" >"$WORK/out" 2>&1; then ok "$d"; else bad "$d"; sed 's/^/    /' "$WORK/out"; fi; }
# refute "description" command... -> PASS when the command fails
refute() { local d="$1"; shift; if "$@" >"$WORK/out" 2>&1; then bad "$d (unexpectedly accepted)"; else ok "$d"; fi; }

ossl() { local cmd="$1"; shift; openssl "$cmd" -engine gost "$@" 2>/dev/null; }

if ! "$PY" -c 'import lxml, gostcrypto, pyasn1' 2>/dev/null; then
    echo "FAIL: python deps missing: pip install -r $HERE/requirements.txt"; exit 2
fi
if ! openssl engine gost >/dev/null 2>&1; then
    echo "FAIL: OpenSSL GOST engine missing (apt-get install libengine-gost-openssl)"; exit 2
fi

cd "$WORK"
printf 'Межведомственный запрос № 42 — проверка подписи.\n' > data.bin
cat > doc.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- комментарий вне корня -->
<req:Запрос xmlns:req="urn:example:mezhved:req" xmlns:unused="urn:example:unused" Id="req-1">
  <req:Заявитель Id="app-1" ФИО="Иванов Иван Иванович">Иванов И. И.</req:Заявитель>
  <req:Документ>Справка о составе семьи<!-- комментарий --></req:Документ>
  <req:Срок>10 рабочих дней</req:Срок>
</req:Запрос>
EOF

# Helper (lxml only, not the tool): dump exc-c14n(SignedInfo), the
# exc-c14n document minus Signature, DigestValue and SignatureValue of $1.
cat > parts.py <<'EOF'
import base64, sys
from lxml import etree
NS = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
tree = etree.parse(sys.argv[1])
sig = tree.getroot().find("ds:Signature", NS)
with open("signedinfo.c14n", "wb") as f:
    f.write(etree.tostring(sig.find("ds:SignedInfo", NS), method="c14n", exclusive=True, with_comments=False))
with open("sigvalue.bin", "wb") as f:
    f.write(base64.b64decode(sig.findtext("ds:SignatureValue", namespaces=NS)))
with open("digestvalue.bin", "wb") as f:
    f.write(base64.b64decode(sig.findtext("ds:SignedInfo/ds:Reference/ds:DigestValue", namespaces=NS)))
prev = sig.getprevious()                       # enveloped transform, keep the tail text
prev.tail = (prev.tail or "") + (sig.tail or "")
sig.getparent().remove(sig)
with open("doc.c14n", "wb") as f:
    f.write(etree.tostring(tree, method="c14n", exclusive=True, with_comments=False))
EOF
# Helper: put the base64 of file $2 into the SignatureValue of $1, write $3.
cat > setsig.py <<'EOF'
import base64, sys
from lxml import etree
tree = etree.parse(sys.argv[1])
el = tree.getroot().find("{http://www.w3.org/2000/09/xmldsig#}Signature/{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
el.text = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
tree.write(sys.argv[3], encoding="UTF-8", xml_declaration=True)
EOF

flipbit() { "$PY" -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=1; open(sys.argv[2],"wb").write(b)' "$1" "$2"; }

run_curve() {  # bits paramset
    local bits="$1" ps="$2" t="$1-$2"
    local md="-md_gost12_$bits"
    if ! ossl genpkey -algorithm "gost2012_$bits" -pkeyopt "paramset:$ps" -out "k$t.pem" ||
       ! ossl req -x509 "$md" -new -key "k$t.pem" -subj "/CN=selfcheck $t" -days 30 -out "c$t.pem" ||
       ! ossl pkey -in "k$t.pem" -pubout -out "p$t.pem"; then
        bad "[$t] openssl could not make a key/certificate"; return
    fi
    local curve
    curve="$(openssl asn1parse -in "p$t.pem" | awk -F: '/OBJECT/ {print $NF}' | sed -n 2p)"
    echo "---- gost2012_$bits paramset $ps: curve $curve"

    # raw, both directions
    check "[$t] raw py->ossl: openssl verifies our signature" \
        sh -c "'$PY' '$TOOL' raw-sign data.bin --key k$t.pem -o py$t.sig &&
               openssl dgst -engine gost $md -verify p$t.pem -signature py$t.sig data.bin 2>/dev/null | grep -q 'Verified OK'"
    ossl dgst "$md" -sign "k$t.pem" -out "ossl$t.sig" data.bin
    check  "[$t] raw ossl->py: we verify OpenSSL's signature" \
        "$PY" "$TOOL" raw-verify data.bin --key "c$t.pem" --signature "ossl$t.sig"
    flipbit "ossl$t.sig" "ossl$t.bad"
    refute "[$t] raw negative: flipped signature bit rejected" \
        "$PY" "$TOOL" raw-verify data.bin --key "c$t.pem" --signature "ossl$t.bad"
    refute "[$t] raw negative: other data rejected" \
        "$PY" "$TOOL" raw-verify doc.xml --key "p$t.pem" --signature "ossl$t.sig"

    # XML round trip
    check  "[$t] xml roundtrip URI=\"\"" \
        sh -c "'$PY' '$TOOL' sign doc.xml --key k$t.pem --cert c$t.pem -o s$t.xml &&
               '$PY' '$TOOL' verify s$t.xml | grep -qx OK"
    check  "[$t] xml roundtrip URI=\"#app-1\" (no enveloped transform) with --cert" \
        sh -c "'$PY' '$TOOL' sign doc.xml --key k$t.pem --cert c$t.pem --reference-id app-1 -o sid$t.xml &&
               ! grep -q enveloped-signature sid$t.xml &&
               '$PY' '$TOOL' verify sid$t.xml --cert c$t.pem | grep -qx OK"
    sed 's/Иванов И. И./Петров П. П./' "s$t.xml" > "tampered$t.xml"
    refute "[$t] xml negative: changed Cyrillic text rejected" "$PY" "$TOOL" verify "tampered$t.xml"

    # XML vs OpenSSL: our SignatureValue/DigestValue checked by OpenSSL
    "$PY" parts.py "s$t.xml"
    check "[$t] xml py->ossl: openssl verifies SignatureValue over c14n(SignedInfo)" \
        sh -c "openssl dgst -engine gost $md -verify p$t.pem -signature sigvalue.bin signedinfo.c14n 2>/dev/null | grep -q 'Verified OK'"
    check "[$t] xml py->ossl: openssl Streebog of c14n(document) equals DigestValue" \
        sh -c "openssl dgst $md -engine gost -binary doc.c14n 2>/dev/null | cmp -s - digestvalue.bin"
    # ... and an OpenSSL SignatureValue accepted by our verifier
    ossl dgst "$md" -sign "k$t.pem" -out ossl_si.sig signedinfo.c14n
    "$PY" setsig.py "s$t.xml" ossl_si.sig "osslsig$t.xml"
    check "[$t] xml ossl->py: SignatureValue made by openssl verifies" \
        sh -c "'$PY' '$TOOL' verify osslsig$t.xml | grep -qx OK"
    flipbit ossl_si.sig ossl_si.bad
    "$PY" setsig.py "s$t.xml" ossl_si.bad "osslbad$t.xml"
    refute "[$t] xml negative: flipped SignatureValue bit rejected" "$PY" "$TOOL" verify "osslbad$t.xml"
}

for ps in A B C XA XB TCA TCB TCC TCD; do run_curve 256 "$ps"; done
for ps in A B C; do run_curve 512 "$ps"; done

# Transform variants the verifier must accept (built from a 256-A signature:
# change the algorithms, recompute digest and signature with OpenSSL).  The
# document has comments: for URI="" they are never part of the digest, even
# with a #WithComments transform (XMLDSig 4.3.3.3).
echo "---- transform variants (gost2012_256 paramset A, crypto by openssl)"
cat > variant.py <<'EOF'
import sys
from lxml import etree
NS = "http://www.w3.org/2000/09/xmldsig#"
src, out, canon, transform = sys.argv[1:5]
tree = etree.parse(src)
sig = tree.getroot().find("{%s}Signature" % NS)
si = sig.find("{%s}SignedInfo" % NS)
si.find("{%s}CanonicalizationMethod" % NS).set("Algorithm", canon)
si.findall(".//{%s}Transform" % NS)[-1].set("Algorithm", transform)
tree.write(out, encoding="UTF-8", xml_declaration=True)
# octets to digest: document minus Signature; URI="" never carries comments
t2 = etree.parse(out)
s2 = t2.getroot().find("{%s}Signature" % NS)
prev = s2.getprevious(); prev.tail = (prev.tail or "") + (s2.tail or "")
s2.getparent().remove(s2)
exclusive = "exc-c14n" in transform
open("v.doc", "wb").write(etree.tostring(t2, method="c14n", exclusive=exclusive, with_comments=False))
EOF
cat > variant2.py <<'EOF'
import base64, sys
from lxml import etree
NS = "http://www.w3.org/2000/09/xmldsig#"
path, digest = sys.argv[1], open(sys.argv[2], "rb").read()
tree = etree.parse(path)
si = tree.getroot().find("{%s}Signature/{%s}SignedInfo" % (NS, NS))
si.find(".//{%s}DigestValue" % NS).text = base64.b64encode(digest).decode()
tree.write(path, encoding="UTF-8", xml_declaration=True)
canon = si.find("{%s}CanonicalizationMethod" % NS).get("Algorithm")
open("v.si", "wb").write(etree.tostring(si, method="c14n", exclusive="exc-c14n" in canon,
                                        with_comments=canon.endswith("WithComments")))
EOF
C14N="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC="http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_WC="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
for combo in "$C14N|$C14N" "$EXC_WC|$EXC_WC" "$C14N#WithComments|$EXC"; do
    canon="${combo%%|*}"; transform="${combo##*|}"
    "$PY" variant.py s256-A.xml v.xml "$canon" "$transform"
    openssl dgst -engine gost -md_gost12_256 -binary -out v.dig v.doc 2>/dev/null
    "$PY" variant2.py v.xml v.dig
    openssl dgst -engine gost -md_gost12_256 -sign k256-A.pem -out v.sig v.si 2>/dev/null
    "$PY" setsig.py v.xml v.sig v.xml
    check "[variant] SignedInfo ${canon##*/}, transform ${transform##*/}" \
        sh -c "'$PY' '$TOOL' verify v.xml | grep -qx OK"
done

# Hostile input
printf '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x "y">]>\n<r>&x;</r>\n' > dtd.xml
refute "[hostile] DOCTYPE refused" "$PY" "$TOOL" verify dtd.xml
"$PY" - s256-A.xml dupid.xml <<'EOF'
import sys
from lxml import etree
t = etree.parse(sys.argv[1]); r = t.getroot()
etree.SubElement(r, "{urn:example:mezhved:req}Заявитель", Id="app-1").text = "двойник"
t.write(sys.argv[2], encoding="UTF-8", xml_declaration=True)
EOF
refute "[hostile] element added after signing rejected" "$PY" "$TOOL" verify dupid.xml
"$PY" - sid256-A.xml dupid2.xml <<'EOF'
import sys
from lxml import etree
t = etree.parse(sys.argv[1]); r = t.getroot()
r.insert(0, etree.fromstring('<w Id="app-1">двойник</w>'))
t.write(sys.argv[2], encoding="UTF-8", xml_declaration=True)
EOF
refute "[hostile] duplicate Id for #app-1 rejected" "$PY" "$TOOL" verify dupid2.xml

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
