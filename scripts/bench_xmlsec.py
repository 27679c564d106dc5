#!/usr/bin/env python3
"""In-process libxmlsec1 reference benchmark: the peer mezhved is compared with.

Measures, in one process on one core, XMLDSig documents signed per second and
verified per second with python-xmlsec (bindings to libxmlsec1 + OpenSSL), for
RSA-2048 (rsa-sha256) and ECDSA P-256 (ecdsa-sha256), digest sha256, an
enveloped signature over URI="" with exc-c14n.

  sign:         bytes in -> etree.fromstring -> append template -> sign -> etree.tostring
  verify:       bytes in -> etree.fromstring -> find Signature -> verify with the signer's
                public key (loaded once from its certificate). This does NOT validate the
                certificate chain; mezhved's verification does.
  verify_chain: the same, but the key comes from the signature's X509Certificate and is
                validated by libxmlsec1 against a KeysManager holding the trusted root.

Keys, certificates and the KeysManager are loaded once, before timing. libxmlsec1's
xmlSecDSigCtx cannot be reused for a second sign/verify, so each iteration makes a
fresh SignatureContext (for sign/verify this duplicates the preloaded key, as
python-xmlsec's `ctx.key = key` always does); that cost is part of every figure.

Install (see scripts/bench-requirements.txt): the PyPI wheels bundle their own
libxmlsec1 1.3.x and libxml2, so build both from source against the system
libraries (Debian: libxmlsec1-dev libxml2-dev libxslt1-dev pkg-config python3-dev):

  python3 -m venv /tmp/bench-venv
  /tmp/bench-venv/bin/pip install -r scripts/bench-requirements.txt
  /tmp/bench-venv/bin/python scripts/bench_xmlsec.py --seconds 2

Run from anywhere: paths default to the repository this script lives in.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    from lxml import etree
    import xmlsec
except ImportError as error:  # pragma: no cover - environment problem
    sys.exit(f"bench_xmlsec: cannot import lxml/xmlsec ({error}); "
             "install with: pip install -r scripts/bench-requirements.txt")

C = xmlsec.constants
REPO = Path(__file__).resolve().parent.parent

CASES = {
    "rsa": {
        "label": "RSA-2048 rsa-sha256",
        "key": "Certificates/rsa/signer.key.pem",
        "cert": "Certificates/rsa/signer.pem",
        "root": "Certificates/rsa/root-ca.pem",
        "method": C.TransformRsaSha256,
    },
    "ecdsa": {
        "label": "ECDSA P-256 ecdsa-sha256",
        "key": "Certificates/ecdsa/signer.key.pem",
        "cert": "Certificates/ecdsa/signer.pem",
        "root": "Certificates/ecdsa/root-ca.pem",
        "method": C.TransformEcdsaSha256,
    },
}


class BenchError(Exception):
    pass


def version_string(parts) -> str:
    return ".".join(str(p) for p in parts)


# ---------------------------------------------------------------- operations

def sign_document(document: bytes, key: "xmlsec.Key", method) -> bytes:
    """bytes in -> parse -> enveloped signature template -> sign -> bytes out."""
    root = etree.fromstring(document)
    signature = xmlsec.template.create(root, C.TransformExclC14N, method)
    root.append(signature)
    reference = xmlsec.template.add_reference(signature, C.TransformSha256, uri="")
    xmlsec.template.add_transform(reference, C.TransformEnveloped)
    xmlsec.template.add_transform(reference, C.TransformExclC14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    x509_data = xmlsec.template.add_x509_data(key_info)
    xmlsec.template.x509_data_add_certificate(x509_data)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.sign(signature)
    return etree.tostring(root)


def verify_document(signed: bytes, key: "xmlsec.Key") -> bool:
    """bytes in -> parse -> verify with the given public key -> result."""
    root = etree.fromstring(signed)
    node = xmlsec.tree.find_node(root, C.NodeSignature)
    if node is None:
        return False
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    try:
        ctx.verify(node)
    except xmlsec.Error:  # VerificationError is a subclass
        return False
    return True


def verify_document_chain(signed: bytes, manager: "xmlsec.KeysManager") -> bool:
    """bytes in -> parse -> verify, key from X509Certificate checked against the root."""
    root = etree.fromstring(signed)
    node = xmlsec.tree.find_node(root, C.NodeSignature)
    if node is None:
        return False
    ctx = xmlsec.SignatureContext(manager)
    try:
        ctx.verify(node)
    except xmlsec.Error:
        return False
    return True


# ---------------------------------------------------------------- sanity

def tamper(signed: bytes) -> bytes:
    """Changes the text of the first element (outside the Signature) that has some."""
    root = etree.fromstring(signed)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.startswith("{http://www.w3.org/2000/09/xmldsig#}"):
            continue
        if element.text and element.text.strip():
            element.text = element.text + "X"
            return etree.tostring(root)
    raise BenchError("tamper: the document has no element with text to change")


def sanity(name: str, case: dict, document: bytes, sign_key, verify_key, manager):
    signed = sign_document(document, sign_key, case["method"])
    if b"<DigestValue/>" in signed or b"<SignatureValue/>" in signed:
        raise BenchError(f"{name}: signing left DigestValue/SignatureValue empty")
    if not verify_document(signed, verify_key):
        raise BenchError(f"{name}: the freshly signed document does NOT verify with the public key")
    tampered = tamper(signed)
    if verify_document(tampered, verify_key):
        raise BenchError(f"{name}: a TAMPERED copy verified with the public key")
    chain_ok = None
    if manager is not None:
        chain_ok = verify_document_chain(signed, manager)
        if chain_ok and verify_document_chain(tampered, manager):
            raise BenchError(f"{name}: a TAMPERED copy verified with the trusted-root key manager")
    return signed, chain_ok


# ---------------------------------------------------------------- timing

def rate(op, seconds: float, warmup: float) -> float:
    """Operations per second: warm up, then loop until `seconds` have passed."""
    clock = time.perf_counter
    end = clock() + warmup
    while clock() < end:
        op()
    n = 0
    start = clock()
    end = start + seconds
    while True:
        op()
        n += 1
        now = clock()
        if now >= end:
            break
    return n / (now - start)


# ---------------------------------------------------------------- main

def system_xmlsec1_version() -> str | None:
    exe = shutil.which("xmlsec1")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # "xmlsec1 1.2.37 (openssl)"
    parts = out.split()
    return parts[1] if len(parts) > 1 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", default=str(REPO / "Samples/request-unemployment-status.xml"),
                        help="XML document to sign (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per case (default 2)")
    parser.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per case (default 0.2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--cases", default="rsa,ecdsa", help="comma-separated: rsa,ecdsa (default both)")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to (default 0; -1 to not pin)")
    parser.add_argument("--write-signed", metavar="DIR",
                        help="also write the sanity-checked signed documents to DIR/<case>-signed.xml "
                             "(e.g. to check them with: xmlsec1 --verify --trusted-pem ROOT FILE)")
    args = parser.parse_args()

    pinned = None
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {args.cpu})
            pinned = args.cpu
        except OSError as error:
            print(f"bench_xmlsec: warning: could not pin to CPU {args.cpu}: {error}", file=sys.stderr)

    # Debian's python3-xmlsec (1.3.13) predates get_libxmlsec_version(); it is built against the
    # system libxmlsec1, so the system xmlsec1's version stands in.
    if hasattr(xmlsec, "get_libxmlsec_version"):
        lib_version = version_string(xmlsec.get_libxmlsec_version())
    else:
        lib_version = system_xmlsec1_version() or "unknown"
    system_version = system_xmlsec1_version()
    if system_version and system_version != lib_version:
        print(f"bench_xmlsec: warning: python-xmlsec uses libxmlsec1 {lib_version}, but the system "
              f"xmlsec1 is {system_version} (a PyPI wheel bundles its own; install with "
              f"--no-binary xmlsec,lxml to use the system library)", file=sys.stderr)

    try:
        document = Path(args.document).read_bytes()
    except OSError as error:
        sys.exit(f"bench_xmlsec: cannot read document: {error}")

    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    for name in names:
        if name not in CASES:
            sys.exit(f"bench_xmlsec: unknown case {name!r} (known: {', '.join(CASES)})")

    results: dict = {}
    chain_notes: dict = {}
    for name in names:
        case = CASES[name]
        paths = {k: str(REPO / case[k]) for k in ("key", "cert", "root")}
        try:
            sign_key = xmlsec.Key.from_file(paths["key"], C.KeyDataFormatPem)
            sign_key.load_cert_from_file(paths["cert"], C.KeyDataFormatPem)
            verify_key = xmlsec.Key.from_file(paths["cert"], C.KeyDataFormatCertPem)
        except (xmlsec.Error, OSError) as error:
            sys.exit(f"bench_xmlsec: {name}: cannot load key/certificate: {error}")
        manager = None
        try:
            manager = xmlsec.KeysManager()
            manager.load_cert(paths["root"], C.KeyDataFormatPem, C.KeyDataTypeTrusted)
        except (xmlsec.Error, OSError) as error:
            chain_notes[name] = f"KeysManager setup failed: {error}"
            manager = None

        try:
            signed, chain_ok = sanity(name, case, document, sign_key, verify_key, manager)
        except (BenchError, xmlsec.Error) as error:
            print(f"bench_xmlsec: SANITY CHECK FAILED: {error}", file=sys.stderr)
            return 2
        if manager is not None and not chain_ok:
            chain_notes[name] = "verification with the trusted-root KeysManager failed"
        if args.write_signed:
            out_dir = Path(args.write_signed)
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{name}-signed.xml").write_bytes(signed)

        method = case["method"]
        entry = {
            "sign": rate(lambda: sign_document(document, sign_key, method), args.seconds, args.warmup),
            "verify": rate(lambda: verify_document(signed, verify_key), args.seconds, args.warmup),
            "verify_chain": None,
        }
        if chain_ok:
            entry["verify_chain"] = rate(lambda: verify_document_chain(signed, manager),
                                         args.seconds, args.warmup)
        results[name] = entry

    report = {name: {k: (round(v, 1) if v is not None else None) for k, v in results[name].items()}
              for name in names}
    report.update({
        "document_bytes": len(document),
        "xmlsec_version": lib_version,
        "python_xmlsec_version": getattr(xmlsec, "__version__", "unknown"),
        "libxml2_version": version_string(etree.LIBXML_VERSION),
        "lxml_version": version_string(etree.LXML_VERSION),
        "seconds_per_case": args.seconds,
        "cpu": pinned,
        "verify_validates_chain": False,
        "notes": ("single-threaded, one process; 'verify' uses the signer's public key only and does "
                  "NOT validate the certificate chain (mezhved's verify does); 'verify_chain' lets "
                  "libxmlsec1 validate the X509Certificate against the trusted root"
                  + "".join(f"; {n}: {t}" for n, t in chain_notes.items())),
    })

    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0

    print(f"libxmlsec1 {lib_version} via python-xmlsec {report['python_xmlsec_version']}, "
          f"libxml2 {report['libxml2_version']}, lxml {report['lxml_version']}")
    print(f"document: {args.document} ({len(document)} bytes); {args.seconds:g} s a case; "
          f"one process, one thread" + (f", pinned to CPU {pinned}" if pinned is not None else ""))
    print()
    print(f"{'case':<26} {'sign/s':>10} {'verify/s':>10} {'verify with chain/s':>20}")
    for name in names:
        r = results[name]
        chain = f"{r['verify_chain']:.0f}" if r["verify_chain"] is not None else "n/a"
        print(f"{CASES[name]['label']:<26} {r['sign']:>10.0f} {r['verify']:>10.0f} {chain:>20}")
    print()
    print("verify/s: public key from the signer's certificate, loaded once; does NOT validate the")
    print("certificate chain (mezhved's verify does). verify with chain/s: libxmlsec1 validates the")
    print("signature's X509Certificate against a KeysManager holding the trusted root.")
    for n, t in chain_notes.items():
        print(f"{n}: {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
