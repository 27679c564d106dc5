#!/usr/bin/env python3
"""XAdES made and checked by another widely used implementation: Python signxml.

The interop peer for RSA and ECDSA XAdES (issue 14): signxml's XAdESSigner with its default
settings (C14N 1.1, SHA-256, a reference to the signature's own KeyInfo, DataObjectFormat), and
its XAdESVerifier. signxml makes no timestamps: `sign --tsa URL` adds an
xades:SignatureTimeStamp itself, as EN 319 132-1 defines it (an RFC 3161 token over the
inclusive-C14N ds:SignatureValue), asking the TSA with `openssl ts -query` over plain HTTP.

Usage:
  signxml_peer.py sign IN --key KEY --cert CERT -o OUT [--tsa URL] [--role ROLE]
                      [--policy OID] [--bind-cert OTHER] [--rsa|--ecdsa]
  signxml_peer.py verify IN --ca ROOT [--references N]

`verify` prints "OK" and exits 0 when signxml accepts the signature (the certificate chaining to
ROOT, every reference and the signed properties' certificate digest verifying), 1 otherwise with
signxml's reason. TEST KEYS ONLY.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request

from lxml import etree
from signxml import SignatureConfiguration
from signxml.algorithms import DigestAlgorithm
from signxml.xades import XAdESSignaturePolicy, XAdESSigner, XAdESVerifier

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


def timestamp_token(data: bytes, url: str) -> bytes:
    """An RFC 3161 token over SHA-256(data) from the TSA at `url`."""
    with tempfile.TemporaryDirectory() as folder:
        query = os.path.join(folder, "query.tsq")
        subprocess.run(
            ["openssl", "ts", "-query", "-digest", hashlib.sha256(data).hexdigest(), "-sha256", "-cert", "-out", query],
            check=True,
            capture_output=True,
        )
        request = urllib.request.Request(
            url, data=open(query, "rb").read(), headers={"Content-Type": "application/timestamp-query"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = response.read()
        reply_path = os.path.join(folder, "reply.tsr")
        token_path = os.path.join(folder, "token.der")
        open(reply_path, "wb").write(reply)
        subprocess.run(
            ["openssl", "ts", "-reply", "-in", reply_path, "-token_out", "-out", token_path],
            check=True,
            capture_output=True,
        )
        return open(token_path, "rb").read()


def add_signature_timestamp(signature: etree._Element, url: str) -> None:
    """Adds xades:UnsignedProperties/UnsignedSignatureProperties/SignatureTimeStamp."""
    value = signature.find("{%s}SignatureValue" % DS)
    octets = etree.tostring(value, method="c14n", exclusive=False, with_comments=False)
    token = timestamp_token(octets, url)
    qualifying = signature.find("{%s}Object/{%s}QualifyingProperties" % (DS, XADES))
    unsigned = etree.SubElement(qualifying, "{%s}UnsignedProperties" % XADES)
    properties = etree.SubElement(unsigned, "{%s}UnsignedSignatureProperties" % XADES)
    stamp = etree.SubElement(properties, "{%s}SignatureTimeStamp" % XADES, Id="signxml-peer-timestamp")
    etree.SubElement(stamp, "{%s}CanonicalizationMethod" % DS, Algorithm=C14N10)
    encapsulated = etree.SubElement(stamp, "{%s}EncapsulatedTimeStamp" % XADES)
    encapsulated.text = base64.b64encode(token).decode()


class MisboundSigner(XAdESSigner):
    """Names another certificate in SigningCertificateV2 than the one that signs: a negative case."""

    def __init__(self, bound_certificate: bytes, **options):
        super().__init__(**options)
        self.bound_certificate = bound_certificate

    def add_signing_certificate(self, signed_signature_properties, sig_root, signing_settings):
        other = dataclasses.replace(signing_settings, cert_chain=[self.bound_certificate.decode()])
        super().add_signing_certificate(signed_signature_properties, sig_root, other)


def sign(args: argparse.Namespace) -> int:
    document = etree.parse(args.input, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    key = open(args.key, "rb").read()
    cert = open(args.cert, "rb").read()
    options = {}
    if args.policy:
        options["signature_policy"] = XAdESSignaturePolicy(
            Identifier=args.policy,
            Description="TEST signature policy",
            DigestMethod=DigestAlgorithm.SHA256,
            DigestValue=base64.b64encode(hashlib.sha256(args.policy.encode()).digest()).decode(),
        )
    if args.role:
        options["claimed_roles"] = [args.role]
    algorithm = "ecdsa-sha256" if args.ecdsa else "rsa-sha256"
    if args.bind_cert:
        signer = MisboundSigner(
            open(args.bind_cert, "rb").read(), signature_algorithm=algorithm, digest_algorithm="sha256", **options
        )
    else:
        signer = XAdESSigner(signature_algorithm=algorithm, digest_algorithm="sha256", **options)
    signed = signer.sign(document, key=key, cert=cert)
    signature = signed.find(".//{%s}Signature" % DS)
    if args.tsa:
        add_signature_timestamp(signature, args.tsa)
    open(args.output, "wb").write(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
    return 0


def verify(args: argparse.Namespace) -> int:
    data = open(args.input, "rb").read()
    try:
        XAdESVerifier().verify(
            data, ca_pem_file=args.ca, expect_config=SignatureConfiguration(expect_references=args.references)
        )
    except Exception as error:  # signxml raises several kinds; the reason is what matters
        print("FAILED: %s: %s" % (type(error).__name__, error))
        return 1
    print("OK")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("sign")
    s.add_argument("input")
    s.add_argument("--key", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--tsa")
    s.add_argument("--role")
    s.add_argument("--policy")
    s.add_argument("--bind-cert", help="name this certificate in SigningCertificateV2 instead (a negative case)")
    kind = s.add_mutually_exclusive_group()
    kind.add_argument("--rsa", action="store_true")
    kind.add_argument("--ecdsa", action="store_true")
    v = commands.add_parser("verify")
    v.add_argument("input")
    v.add_argument("--ca", required=True)
    v.add_argument("--references", type=int, default=2)
    args = parser.parse_args()
    return sign(args) if args.command == "sign" else verify(args)


if __name__ == "__main__":
    sys.exit(main())
