#!/usr/bin/env python3
"""Independent GOST R 34.10-2012 / Streebog XMLDSig signer and verifier.

This is an *interop peer* for the test suite: it signs and verifies enveloped
XMLDSig signatures with GOST keys without using OpenSSL (nor its GOST engine)
at all.  Cryptography comes from the pure-Python `gostcrypto` package, ASN.1
from `pyasn1`, XML and canonicalization from `lxml` (libxml2).

The byte-order conventions it relies on were determined experimentally against
OpenSSL 3.0 + the GOST engine and are written down in docs/gost-byte-order.md of the repository.
In short:

  * PKCS#8 private key OCTET STRING ....... little-endian scalar
  * SubjectPublicKeyInfo OCTET STRING ...... X (little-endian) || Y (little-endian)
  * Streebog digest -> integer e ........... little-endian (bytes reversed)
  * signature / XMLDSig SignatureValue ..... s || r, each big-endian, fixed width
  * gostcrypto ............................. everything big-endian, signature r || s

Usage:
  gost_xmldsig.py sign IN.xml --key KEY.pem --cert CERT.pem [--reference-id ID] -o OUT.xml
  gost_xmldsig.py verify IN.xml [--cert CERT.pem]

Requires: lxml, gostcrypto, pyasn1 (see requirements.txt).
"""

from __future__ import annotations

import argparse
import datetime
import base64
import binascii
import copy
import re
import sys
from dataclasses import dataclass

import gostcrypto
from gostcrypto import gostsignature
from lxml import etree
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, tag, univ

# --------------------------------------------------------------------------
# Algorithm identifiers
# --------------------------------------------------------------------------

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = "{%s}" % DS_NS

ALG_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
ALG_EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ALG_EXC_C14N_WC = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
ALG_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ALG_C14N_WC = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"

# canonicalization URI -> (exclusive, with_comments)
C14N_ALGORITHMS = {
    ALG_EXC_C14N: (True, False),
    ALG_EXC_C14N_WC: (True, True),
    ALG_C14N: (False, False),
    ALG_C14N_WC: (False, True),
}

CPXMLSEC = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"
SIG_256 = CPXMLSEC + "gostr34102012-gostr34112012-256"
SIG_512 = CPXMLSEC + "gostr34102012-gostr34112012-512"
DIG_256 = CPXMLSEC + "gostr34112012-256"
DIG_512 = CPXMLSEC + "gostr34112012-512"

# XMLDSig URI -> key/digest size in bytes (32 = 256-bit, 64 = 512-bit)
SIGNATURE_METHODS = {SIG_256: 32, SIG_512: 64}
DIGEST_METHODS = {DIG_256: 32, DIG_512: 64}

# Key algorithm OIDs (SubjectPublicKeyInfo / PKCS#8 AlgorithmIdentifier)
OID_GOST2012_256 = "1.2.643.7.1.1.1.1"
OID_GOST2012_512 = "1.2.643.7.1.1.1.2"
KEY_ALGORITHMS = {OID_GOST2012_256: 32, OID_GOST2012_512: 64}

# Curve parameter-set OID -> gostcrypto curve name.
# gostcrypto names its curves after R 1323565.1.024-2019 (TC26 names).  The
# older CryptoPro OIDs denote the same curves:
#   CryptoPro-A = XchA = tc26-256-B,  CryptoPro-B = tc26-256-C,
#   CryptoPro-C = XchB = tc26-256-D.
# (selfcheck.sh confirms every mapping: the public key derived with the mapped
#  curve from an OpenSSL-generated private key equals OpenSSL's public key.)
CURVES = {
    # 256-bit
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",  # TC26 A (twisted Edwards)
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",    # CryptoPro-A
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",    # CryptoPro-XchA
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",  # TC26 B
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",    # CryptoPro-B
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",  # TC26 C
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",    # CryptoPro-C
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",    # CryptoPro-XchB
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",  # TC26 D
    # 512-bit
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-12-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}


class SignError(Exception):
    """Any failure; the message is printed to the user."""


# --------------------------------------------------------------------------
# ASN.1: just enough of X.509 and PKCS#8 to reach the GOST key material
# --------------------------------------------------------------------------

def _ctx(num: int, constructed: bool) -> tag.Tag:
    fmt = tag.tagFormatConstructed if constructed else tag.tagFormatSimple
    return tag.Tag(tag.tagClassContext, fmt, num)


class AlgorithmIdentifier(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("parameters", univ.Any()),
    )


class SubjectPublicKeyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", AlgorithmIdentifier()),
        namedtype.NamedType("subjectPublicKey", univ.BitString()),
    )


class TBSCertificate(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.DefaultedNamedType(
            "version", univ.Integer(0).subtype(explicitTag=_ctx(0, True))),
        namedtype.NamedType("serialNumber", univ.Integer()),
        namedtype.NamedType("signature", AlgorithmIdentifier()),
        namedtype.NamedType("issuer", univ.Any()),
        namedtype.NamedType("validity", univ.Any()),
        namedtype.NamedType("subject", univ.Any()),
        namedtype.NamedType("subjectPublicKeyInfo", SubjectPublicKeyInfo()),
        namedtype.OptionalNamedType(
            "issuerUniqueID", univ.BitString().subtype(implicitTag=_ctx(1, False))),
        namedtype.OptionalNamedType(
            "subjectUniqueID", univ.BitString().subtype(implicitTag=_ctx(2, False))),
        namedtype.OptionalNamedType(
            "extensions",
            univ.SequenceOf(componentType=univ.Any()).subtype(explicitTag=_ctx(3, True))),
    )


class Certificate(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("tbsCertificate", TBSCertificate()),
        namedtype.NamedType("signatureAlgorithm", AlgorithmIdentifier()),
        namedtype.NamedType("signature", univ.BitString()),
    )


class PrivateKeyInfo(univ.Sequence):  # RFC 5208 / 5958 (OneAsymmetricKey)
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("privateKeyAlgorithm", AlgorithmIdentifier()),
        namedtype.NamedType("privateKey", univ.OctetString()),
        namedtype.OptionalNamedType(
            "attributes", univ.SetOf(componentType=univ.Any()).subtype(implicitTag=_ctx(0, True))),
        namedtype.OptionalNamedType(
            "publicKey", univ.BitString().subtype(implicitTag=_ctx(1, False))),
    )


def _der_decode(der: bytes, spec):
    try:
        value, rest = der_decoder.decode(der, asn1Spec=spec)
    except PyAsn1Error as exc:
        raise SignError(f"ASN.1 decoding failed: {exc}") from None
    if rest:
        raise SignError("trailing bytes after ASN.1 structure")
    return value


def _pem_or_der(data: bytes, label: str) -> bytes:
    """Return the DER body of a PEM block with the given label, or `data` itself
    when it is not PEM."""
    text = data.decode("ascii", errors="replace")
    if "-----BEGIN" not in text:
        return data
    m = re.search(r"-----BEGIN %s-----(.*?)-----END %s-----" % (label, label), text, re.S)
    if not m:
        found = re.findall(r"-----BEGIN ([A-Z0-9 ]+)-----", text)
        raise SignError(f"expected a PEM '{label}' block, found {found or 'none'}")
    try:
        return base64.b64decode("".join(m.group(1).split()), validate=True)
    except binascii.Error as exc:
        raise SignError(f"bad base64 in PEM: {exc}") from None


@dataclass
class GostKeyParams:
    size: int         # 32 (256-bit key, Streebog-256) or 64 (512-bit, Streebog-512)
    curve_oid: str
    curve_name: str   # key into gostcrypto's CURVES_R_1323565_1_024_2019

    def signer(self) -> gostsignature.GOST34102012:
        mode = gostsignature.MODE_256 if self.size == 32 else gostsignature.MODE_512
        return gostsignature.new(mode, gostsignature.CURVES_R_1323565_1_024_2019[self.curve_name])


def _key_params(alg: AlgorithmIdentifier) -> GostKeyParams:
    """GostR3410-2012-PublicKeyParameters ::= SEQUENCE { publicKeyParamSet OID,
    digestParamSet OID OPTIONAL } (RFC 9215).  Only the curve OID matters here."""
    oid = str(alg["algorithm"])
    if oid not in KEY_ALGORITHMS:
        raise SignError(f"not a GOST R 34.10-2012 key (algorithm OID {oid})")
    if not alg["parameters"].isValue:
        raise SignError("GOST key without curve parameters")
    params = _der_decode(bytes(alg["parameters"]), None)  # generic SEQUENCE of OIDs
    curve_oid = str(params[0])
    if curve_oid not in CURVES:
        raise SignError(f"unsupported GOST curve parameter set OID {curve_oid}")
    name = CURVES[curve_oid]
    size = KEY_ALGORITHMS[oid]
    if ("-256-" in name) != (size == 32):
        raise SignError(f"curve {curve_oid} does not fit a {size * 8}-bit key")
    return GostKeyParams(size, curve_oid, name)


@dataclass
class GostPublicKey:
    params: GostKeyParams
    x: int
    y: int

    def gostcrypto_bytes(self) -> bytearray:
        """gostcrypto wants X || Y, each big-endian, fixed width."""
        n = self.params.size
        return bytearray(self.x.to_bytes(n, "big") + self.y.to_bytes(n, "big"))


def _public_key_from_spki(spki: SubjectPublicKeyInfo) -> GostPublicKey:
    params = _key_params(spki["algorithm"])
    n = params.size
    # The BIT STRING wraps a DER OCTET STRING of X||Y, each LITTLE-endian.
    inner = _der_decode(spki["subjectPublicKey"].asOctets(), univ.OctetString())
    raw = bytes(inner)
    if len(raw) != 2 * n:
        raise SignError(f"public key is {len(raw)} bytes, expected {2 * n}")
    x = int.from_bytes(raw[:n], "little")
    y = int.from_bytes(raw[n:], "little")
    return GostPublicKey(params, x, y)


def load_public_key(data: bytes) -> GostPublicKey:
    """A certificate or a bare SubjectPublicKeyInfo ('BEGIN PUBLIC KEY')."""
    if b"BEGIN CERTIFICATE" in data:
        return load_certificate(data)[1]
    return _public_key_from_spki(_der_decode(_pem_or_der(data, "PUBLIC KEY"),
                                             SubjectPublicKeyInfo()))


def load_certificate(data: bytes) -> tuple[bytes, GostPublicKey]:
    """Return (certificate DER, its GOST public key)."""
    der = _pem_or_der(data, "CERTIFICATE")
    cert = _der_decode(der, Certificate())
    return der, _public_key_from_spki(cert["tbsCertificate"]["subjectPublicKeyInfo"])


@dataclass
class GostPrivateKey:
    params: GostKeyParams
    d: int


def load_private_key(data: bytes) -> GostPrivateKey:
    """Unencrypted PKCS#8 ('BEGIN PRIVATE KEY') as written by the OpenSSL GOST engine."""
    if b"ENCRYPTED PRIVATE KEY" in data:
        raise SignError("encrypted PKCS#8 keys are not supported; decrypt it first")
    der = _pem_or_der(data, "PRIVATE KEY")
    info = _der_decode(der, PrivateKeyInfo())
    params = _key_params(info["privateKeyAlgorithm"])
    n = params.size
    blob = bytes(info["privateKey"])
    # Same three encodings the GOST engine accepts on input:
    if len(blob) == n:                           # raw little-endian (old engine output)
        d = int.from_bytes(blob, "little")
    elif blob[:1] == b"\x04":                    # OCTET STRING, little-endian (engine output)
        inner = bytes(_der_decode(blob, univ.OctetString()))
        if len(inner) != n:
            raise SignError(f"private key is {len(inner)} bytes, expected {n} "
                            "(masked CryptoPro keys are not supported)")
        d = int.from_bytes(inner, "little")
    elif blob[:1] == b"\x02":                    # INTEGER: an ordinary (big-endian) number
        d = int(_der_decode(blob, univ.Integer()))
    else:
        raise SignError("unrecognised GOST private key encoding")
    if d <= 0:
        raise SignError("invalid private key")
    return GostPrivateKey(params, d)


# --------------------------------------------------------------------------
# GOST R 34.10-2012 with OpenSSL-engine-compatible byte orders
# --------------------------------------------------------------------------

def streebog(data: bytes, size: int) -> bytes:
    """Streebog-256/512.  gostcrypto and OpenSSL emit identical digest bytes."""
    name = "streebog256" if size == 32 else "streebog512"
    return bytes(gostcrypto.gosthash.new(name, data=data).digest())


def _e_bytes_for_gostcrypto(digest: bytes) -> bytearray:
    # The engine (like GOST R 34.10's reference use of 34.11) reads the digest
    # as a LITTLE-endian integer e; gostcrypto reads it BIG-endian.  Reverse.
    return bytearray(digest[::-1])


def public_key_of(key: GostPrivateKey) -> GostPublicKey:
    n = key.params.size
    pub = key.params.signer().public_key_generate(bytearray(key.d.to_bytes(n, "big")))
    return GostPublicKey(key.params, int.from_bytes(pub[:n], "big"), int.from_bytes(pub[n:], "big"))


def gost_sign(key: GostPrivateKey, data: bytes) -> bytes:
    """Hash `data` with Streebog and sign; returns s || r (big-endian halves),
    the byte layout `openssl dgst -engine gost -sign` produces."""
    n = key.params.size
    e = _e_bytes_for_gostcrypto(streebog(data, n))
    # gostcrypto zero-fills the key buffer it is given, so pass a fresh one.
    r_s = key.params.signer().sign(bytearray(key.d.to_bytes(n, "big")), e)
    return bytes(r_s[n:] + r_s[:n])              # gostcrypto r||s  ->  s||r


def gost_verify(pub: GostPublicKey, data: bytes, signature: bytes) -> bool:
    """Verify an s || r signature (OpenSSL engine / XMLDSig layout) over `data`."""
    n = pub.params.size
    if len(signature) != 2 * n:
        return False
    e = _e_bytes_for_gostcrypto(streebog(data, n))
    r_s = bytearray(signature[n:] + signature[:n])  # s||r  ->  gostcrypto r||s
    try:
        return bool(pub.params.signer().verify(pub.gostcrypto_bytes(), e, r_s))
    except gostsignature.GOSTSignatureError:
        return False


# --------------------------------------------------------------------------
# XML: parsing, reference resolution, transforms, canonicalization
# --------------------------------------------------------------------------

def parse_xml(path: str) -> etree._ElementTree:
    """Parse without DTD processing, entities or network; refuse DOCTYPEs."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_blank_text=False,
                             remove_comments=False, remove_pis=False)
    try:
        tree = etree.parse(path, parser)
    except (etree.XMLSyntaxError, OSError) as exc:
        raise SignError(f"cannot parse {path}: {exc}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SignError("documents with a DOCTYPE/DTD are refused")
    return tree


ID_ATTRIBUTES = ("Id", "ID", "id")


def find_by_id(root: etree._Element, ident: str) -> etree._Element:
    """The single element whose Id/ID/id attribute equals `ident`.  Duplicates
    are an error (signature-wrapping defence)."""
    hits = [el for el in root.iter(etree.Element)
            if any(el.get(a) == ident for a in ID_ATTRIBUTES)]
    if not hits:
        raise SignError(f"no element with Id '{ident}'")
    if len(hits) > 1:
        raise SignError(f"{len(hits)} elements carry Id '{ident}' (ambiguous reference)")
    return hits[0]


def _path_of(el: etree._Element) -> list[int]:
    """Child-index path from the root, to find the same node in a deep copy."""
    path = []
    while el.getparent() is not None:
        path.append(el.getparent().index(el))
        el = el.getparent()
    return path[::-1]


def _follow(root: etree._Element, path: list[int]) -> etree._Element:
    for i in path:
        root = root[i]
    return root


def _remove_keep_tail(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it (lxml's .tail)."""
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def canonicalize(node, exclusive: bool, with_comments: bool,
                 inclusive_prefixes: list[str] | None = None) -> bytes:
    """C14N 1.0 / Exclusive C14N 1.0 of a document or an element subtree.

    For inclusive C14N of an element that is not the root, C14N 1.0 makes the
    apex element inherit the xml:* attributes of its ancestors; lxml does not,
    so they are copied onto the apex of a private copy here.  (Exclusive C14N
    does not inherit them.)"""
    if isinstance(node, etree._Element) and not exclusive and node.getparent() is not None:
        node = _follow(copy.deepcopy(node.getroottree()).getroot(), _path_of(node))
        xml_ns = "{http://www.w3.org/XML/1998/namespace}"
        anc = node.getparent()
        while anc is not None:
            for name, value in anc.attrib.items():
                if name.startswith(xml_ns) and name not in node.attrib:
                    node.set(name, value)
            anc = anc.getparent()
    kwargs = {}
    if exclusive and inclusive_prefixes:
        kwargs["inclusive_ns_prefixes"] = inclusive_prefixes
    return etree.tostring(node, method="c14n", exclusive=exclusive,
                          with_comments=with_comments, **kwargs)


def _inclusive_prefixes(transform_el: etree._Element) -> list[str] | None:
    pl = transform_el.find("{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces")
    if pl is None:
        return None
    return [("" if p == "#default" else p) for p in (pl.get("PrefixList") or "").split()]


def reference_octets(tree: etree._ElementTree, signature: etree._Element,
                     reference: etree._Element) -> bytes:
    """Dereference ds:Reference and run its transforms; returns the octets to hash.

    Only same-document references are supported: URI="" (the whole document)
    and URI="#id" (one element).  Per XMLDSig 4.3.3.3 both yield node-sets
    WITHOUT comment nodes, so the '#WithComments' canonicalizations still give
    comment-free output for them.  Allowed transforms: enveloped-signature,
    then at most one canonicalization, which must be last."""
    uri = reference.get("URI")
    if uri is None:
        raise SignError("Reference without URI is not supported")
    if uri != "" and not (uri.startswith("#") and len(uri) > 1 and "(" not in uri):
        raise SignError(f"unsupported Reference URI '{uri}' (only \"\" and \"#id\")")

    # Work on a private copy so the enveloped transform can delete nodes.
    doc = copy.deepcopy(tree)
    sig_copy = _follow(doc.getroot(), _path_of(signature))
    if uri == "":
        target = None  # the document node
    else:
        target = _follow(doc.getroot(), _path_of(find_by_id(tree.getroot(), uri[1:])))

    transforms = reference.find(DS + "Transforms")
    steps = list(transforms) if transforms is not None else []
    canon = None
    for i, step in enumerate(steps):
        if step.tag != DS + "Transform":
            raise SignError(f"unexpected element {step.tag} in Transforms")
        alg = step.get("Algorithm")
        if canon is not None:
            raise SignError("no transform may follow canonicalization")
        if alg == ALG_ENVELOPED:
            # Drop the Signature from the node-set.  When it lies outside the
            # referenced subtree this changes nothing, as the spec says.
            if target is not None and (target is sig_copy or sig_copy in target.iterancestors()):
                raise SignError("enveloped-signature on a reference into the Signature")
            _remove_keep_tail(sig_copy)
        elif alg in C14N_ALGORITHMS:
            canon = (alg, step)
        else:
            raise SignError(f"transform not allowed: {alg}")

    node = doc if target is None else target
    if canon is None:
        # Node-set -> octets: XMLDSig mandates inclusive C14N 1.0 (no comments).
        return canonicalize(node, exclusive=False, with_comments=False)
    alg, step = canon
    exclusive, _with_comments = C14N_ALGORITHMS[alg]
    prefixes = _inclusive_prefixes(step) if exclusive else None
    # Same-document references carry no comments (see docstring).
    return canonicalize(node, exclusive=exclusive, with_comments=False,
                        inclusive_prefixes=prefixes)


def signed_info_octets(signed_info: etree._Element) -> bytes:
    method = signed_info.find(DS + "CanonicalizationMethod")
    alg = method.get("Algorithm") if method is not None else None
    if alg not in C14N_ALGORITHMS:
        raise SignError(f"CanonicalizationMethod not allowed: {alg}")
    exclusive, with_comments = C14N_ALGORITHMS[alg]
    # In document context: inclusive C14N renders the ancestors' namespaces.
    prefixes = _inclusive_prefixes(method) if exclusive else None
    return canonicalize(signed_info, exclusive, with_comments, prefixes)


def _b64decode(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except binascii.Error:
        raise SignError(f"{what} is not valid base64") from None


# --------------------------------------------------------------------------
# sign
# --------------------------------------------------------------------------

def _sub(parent: etree._Element, local: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, DS + local, attrs)


def sign_document(tree: etree._ElementTree, key: GostPrivateKey, cert_der: bytes,
                  cert_pub: GostPublicKey, reference_id: str | None,
                  xades: bool = False, sign_key_info: bool = False) -> None:
    """Append an enveloped ds:Signature as the last child of the root element.

    With `xades`, XAdES-BES (EN 319 132-1): a ds:Object with QualifyingProperties whose
    SignedProperties carry SigningTime and SigningCertificateV2 (a Streebog CertDigest of the
    certificate, of the key's size), signed by a reference of Type SignedProperties. With
    `sign_key_info`, one more reference signs the signature's own ds:KeyInfo."""
    if public_key_of(key).gostcrypto_bytes() != cert_pub.gostcrypto_bytes() or \
            key.params.curve_name != cert_pub.params.curve_name:
        raise SignError("the private key does not belong to the certificate")
    n = key.params.size
    sig_uri, dig_uri = (SIG_256, DIG_256) if n == 32 else (SIG_512, DIG_512)

    root = tree.getroot()
    if reference_id is None:
        uri, enveloped = "", True
    else:
        target = find_by_id(root, reference_id)
        uri = "#" + reference_id
        # The signature goes under the root: it is inside the referenced
        # subtree only when the referenced element is the root itself.
        enveloped = target is root

    nsmap = {"ds": DS_NS, "xades": XADES_NS} if xades else {"ds": DS_NS}
    signature = etree.SubElement(root, DS + "Signature", nsmap=nsmap)
    signed_info = _sub(signature, "SignedInfo")
    _sub(signed_info, "CanonicalizationMethod", Algorithm=ALG_EXC_C14N)
    _sub(signed_info, "SignatureMethod", Algorithm=sig_uri)

    def add_reference(target_uri: str, enveloped_transform: bool, **attrs) -> etree._Element:
        reference = _sub(signed_info, "Reference", URI=target_uri, **attrs)
        transforms = _sub(reference, "Transforms")
        if enveloped_transform:
            _sub(transforms, "Transform", Algorithm=ALG_ENVELOPED)
        _sub(transforms, "Transform", Algorithm=ALG_EXC_C14N)
        _sub(reference, "DigestMethod", Algorithm=dig_uri)
        _sub(reference, "DigestValue")
        return reference

    references = [add_reference(uri, enveloped)]
    signature_value = _sub(signature, "SignatureValue")
    key_info = _sub(signature, "KeyInfo")
    x509 = _sub(key_info, "X509Data")
    _sub(x509, "X509Certificate").text = base64.b64encode(cert_der).decode()
    if sign_key_info:
        key_info.set("Id", "gost-peer-keyinfo")
        references.append(add_reference("#gost-peer-keyinfo", False))
    if xades:
        signature.set("Id", "gost-peer-signature")
        qualifying = etree.SubElement(_sub(signature, "Object"), XADES + "QualifyingProperties",
                                      Target="#gost-peer-signature")
        properties = etree.SubElement(qualifying, XADES + "SignedProperties", Id="gost-peer-signed-properties")
        signature_properties = etree.SubElement(properties, XADES + "SignedSignatureProperties")
        etree.SubElement(signature_properties, XADES + "SigningTime").text = \
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        cert = etree.SubElement(etree.SubElement(signature_properties, XADES + "SigningCertificateV2"), XADES + "Cert")
        cert_digest = etree.SubElement(cert, XADES + "CertDigest")
        _sub(cert_digest, "DigestMethod", Algorithm=dig_uri)
        _sub(cert_digest, "DigestValue").text = base64.b64encode(streebog(cert_der, n)).decode()
        references.append(add_reference("#gost-peer-signed-properties", False, Type=SIGNED_PROPERTIES_TYPE))

    # The digests are computed by the same transform code the verifier runs.
    for reference in references:
        reference.find(DS + "DigestValue").text = base64.b64encode(
            streebog(reference_octets(tree, signature, reference), n)).decode()
    signature_value.text = base64.b64encode(
        gost_sign(key, signed_info_octets(signed_info))).decode()


# --------------------------------------------------------------------------
# XAdES (ETSI EN 319 132-1): the SignedProperties reference and SigningCertificateV2
# --------------------------------------------------------------------------

XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
XADES = "{%s}" % XADES_NS
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"


def check_xades(signature: etree._Element, references: list, cert_der: bytes | None) -> list[str]:
    """When the signature carries xades:QualifyingProperties: exactly one Reference of Type
    SignedProperties must point at the SignedProperties inside this signature's ds:Object, and
    SigningCertificateV2/Cert/CertDigest must be the Streebog digest of the KeyInfo certificate.
    (The reference's digest itself is checked with the other references.)"""
    qualifying = signature.findall(f"{DS}Object/{XADES}QualifyingProperties")
    if not qualifying:
        return []
    if len(qualifying) != 1:
        raise SignError(f"{len(qualifying)} QualifyingProperties; one expected")
    qp = qualifying[0]
    if qp.get("Target") != "#" + (signature.get("Id") or ""):
        raise SignError("QualifyingProperties/@Target does not name this signature")
    typed = [r for r in references if r.get("Type") == SIGNED_PROPERTIES_TYPE]
    if len(typed) != 1:
        raise SignError(f"{len(typed)} references of Type SignedProperties; exactly one expected")
    props = qp.find(XADES + "SignedProperties")
    if props is None or typed[0].get("URI") != "#" + (props.get("Id") or "\0"):
        raise SignError("the SignedProperties reference does not point at this signature's SignedProperties")
    cert = props.find(f"{XADES}SignedSignatureProperties/{XADES}SigningCertificateV2/{XADES}Cert")
    if cert is None:
        raise SignError("no SigningCertificateV2/Cert")
    method = cert.find(f"{XADES}CertDigest/{DS}DigestMethod")
    alg = method.get("Algorithm") if method is not None else None
    if alg not in DIGEST_METHODS:
        raise SignError(f"CertDigest method not supported: {alg}")
    expected = _b64decode(cert.findtext(f"{XADES}CertDigest/{DS}DigestValue"), "CertDigest")
    if cert_der is None:
        return ["XAdES: SigningCertificateV2 not compared (--cert given)"]
    if streebog(cert_der, DIGEST_METHODS[alg]) != expected:
        raise SignError("SigningCertificateV2 does not name the KeyInfo certificate")
    return ["XAdES: SignedProperties signed, SigningCertificateV2 names the KeyInfo certificate"]


# --------------------------------------------------------------------------
# verify
# --------------------------------------------------------------------------

def verify_document(tree: etree._ElementTree, cert_pub: GostPublicKey | None) -> list[str]:
    """Raise SignError with the reason when invalid; return notes when valid."""
    sigs = tree.getroot().xpath("//ds:Signature", namespaces={"ds": DS_NS})
    if len(sigs) != 1:
        raise SignError(f"expected exactly one ds:Signature, found {len(sigs)}")
    signature = sigs[0]
    signed_info = signature.find(DS + "SignedInfo")
    if signed_info is None:
        raise SignError("no ds:SignedInfo")

    method = signed_info.find(DS + "SignatureMethod")
    sig_alg = method.get("Algorithm") if method is not None else None
    if sig_alg not in SIGNATURE_METHODS:
        raise SignError(f"SignatureMethod not supported: {sig_alg}")
    size = SIGNATURE_METHODS[sig_alg]

    # Key: --cert wins, else the (first) certificate in KeyInfo.
    notes = []
    cert_der = None
    if cert_pub is None:
        certs = signature.findall(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
        if not certs:
            raise SignError("no KeyInfo/X509Data/X509Certificate and no --cert given")
        cert_der, cert_pub = load_certificate(_b64decode(certs[0].text, "X509Certificate"))
        notes.append("key taken from KeyInfo (certificate NOT chain-validated)")
    if cert_pub.params.size != size:
        raise SignError(f"{sig_alg} needs a {size * 8}-bit key, certificate has "
                        f"{cert_pub.params.size * 8}-bit")

    references = signed_info.findall(DS + "Reference")
    if not references:
        raise SignError("SignedInfo has no Reference")
    for ref in references:
        dm = ref.find(DS + "DigestMethod")
        dig_alg = dm.get("Algorithm") if dm is not None else None
        if dig_alg not in DIGEST_METHODS:
            raise SignError(f"DigestMethod not supported: {dig_alg}")
        expected = _b64decode(ref.findtext(DS + "DigestValue"), "DigestValue")
        actual = streebog(reference_octets(tree, signature, ref), DIGEST_METHODS[dig_alg])
        if actual != expected:
            raise SignError(f"DigestValue mismatch for Reference URI=\"{ref.get('URI')}\"")

    notes += check_xades(signature, references, cert_der)

    sig_bytes = _b64decode(signature.findtext(DS + "SignatureValue"), "SignatureValue")
    if len(sig_bytes) != 2 * size:
        raise SignError(f"SignatureValue is {len(sig_bytes)} bytes, expected {2 * size}")
    if not gost_verify(cert_pub, signed_info_octets(signed_info), sig_bytes):
        raise SignError("SignatureValue does not verify")
    return notes


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

XADES = "{http://uri.etsi.org/01903/v1.3.2#}"
XADES141 = "{http://uri.etsi.org/01903/v1.4.1#}"


def archive_timestamp_input(tree: etree._ElementTree, index: int) -> tuple[bytes, bytes]:
    """The octets the index-th xades141:ArchiveTimeStamp covers (ETSI EN 319 132-1
    5.5.2.2.1, written from the standard, not from mezhved) and its DER token:
    each ds:Reference's transformed content, then SignedInfo, SignatureValue,
    KeyInfo, the unsigned signature properties before the stamp, and the
    ds:Objects other than the QualifyingProperties' one, each canonicalized with
    the stamp's CanonicalizationMethod (inclusive C14N 1.0 when absent)."""
    signatures = tree.getroot().iter(DS + "Signature")
    signature = next(signatures)
    stamps = list(signature.iter(XADES141 + "ArchiveTimeStamp"))
    if index >= len(stamps):
        raise SignError(f"the signature has {len(stamps)} archive timestamps")
    stamp = stamps[index]
    method = stamp.find(DS + "CanonicalizationMethod")
    alg = method.get("Algorithm") if method is not None else "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    if alg not in C14N_ALGORITHMS:
        raise SignError(f"archive timestamp canonicalization not allowed: {alg}")
    exclusive, with_comments = C14N_ALGORITHMS[alg]

    def c14n(el: etree._Element) -> bytes:
        return canonicalize(el, exclusive, with_comments)

    out = b""
    signed_info = signature.find(DS + "SignedInfo")
    for reference in signed_info.findall(DS + "Reference"):
        out += reference_octets(tree, signature, reference)
    out += c14n(signed_info) + c14n(signature.find(DS + "SignatureValue"))
    key_info = signature.find(DS + "KeyInfo")
    if key_info is not None:
        out += c14n(key_info)
    unsigned = stamp.getparent()
    for prop in unsigned:
        if prop is stamp:
            break
        if isinstance(prop.tag, str):
            out += c14n(prop)
    for obj in signature.findall(DS + "Object"):
        if obj.find(XADES + "QualifyingProperties") is None:
            out += c14n(obj)
    token = _b64decode(stamp.findtext(XADES + "EncapsulatedTimeStamp"), "EncapsulatedTimeStamp")
    return out, token


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise SignError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Independent (OpenSSL-free) GOST R 34.10-2012 / Streebog XMLDSig "
                    "signer and verifier, used as an interop peer in tests.",
        epilog="verify checks digests and the signature value only. It does NOT "
               "validate the certificate (no chain, validity period, revocation or "
               "qualified-status checks): the key in KeyInfo is trusted as is, "
               "unless --cert pins one. Same-document references only (URI=\"\" "
               "and URI=\"#id\"); their node-sets exclude comments (XMLDSig "
               "4.3.3.3). Pure-Python Streebog hashes ~150 KB/s: keep inputs small.")
    sub = ap.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("sign", help="append an enveloped GOST signature to the root element")
    sp.add_argument("input")
    sp.add_argument("--key", required=True, help="unencrypted PKCS#8 GOST private key (PEM/DER)")
    sp.add_argument("--cert", required=True, help="X.509 certificate of the key (PEM/DER)")
    sp.add_argument("--reference-id", help="sign only the element with Id/ID/id = this value")
    sp.add_argument("-o", "--output", required=True)
    sp.add_argument("--xades", action="store_true",
                    help="XAdES-BES: SigningTime and SigningCertificateV2 (Streebog CertDigest), signed")
    sp.add_argument("--sign-key-info", action="store_true", help="also sign the signature's own ds:KeyInfo")

    vp = sub.add_parser("verify", help="check the single ds:Signature (no chain validation)",
                        epilog=ap.epilog)
    vp.add_argument("input")
    vp.add_argument("--cert", help="use this certificate's key instead of KeyInfo's")

    # Raw signatures over a file, byte-compatible with
    # `openssl dgst -engine gost -md_gost12_{256,512} -sign/-verify`.
    rs = sub.add_parser("raw-sign", help="Streebog+GOST-sign a file; writes s||r like "
                        "`openssl dgst -engine gost -sign`")
    rs.add_argument("input")
    rs.add_argument("--key", required=True)
    rs.add_argument("-o", "--output", required=True)
    rv = sub.add_parser("raw-verify", help="verify an s||r signature over a file "
                        "(e.g. from `openssl dgst -engine gost -sign`)")
    rv.add_argument("input")
    rv.add_argument("--key", required=True, help="certificate or public key (PEM/DER)")
    rv.add_argument("--signature", required=True)

    ai = sub.add_parser("archive-input", help="write what the N-th XAdES ArchiveTimeStamp covers, and its token "
                        "(to check with `openssl ts -verify -data`)")
    ai.add_argument("input")
    ai.add_argument("--index", type=int, default=0)
    ai.add_argument("-o", "--output", required=True, help="the covered octets")
    ai.add_argument("--token", required=True, help="the DER TimeStampToken")

    args = ap.parse_args(argv)
    try:
        if args.command == "archive-input":
            data, token = archive_timestamp_input(parse_xml(args.input), args.index)
            with open(args.output, "wb") as f:
                f.write(data)
            with open(args.token, "wb") as f:
                f.write(token)
            return 0
        if args.command == "raw-sign":
            sig = gost_sign(load_private_key(_read(args.key)), _read(args.input))
            with open(args.output, "wb") as f:
                f.write(sig)
            return 0
        if args.command == "raw-verify":
            pub = load_public_key(_read(args.key))
            if not gost_verify(pub, _read(args.input), _read(args.signature)):
                raise SignError("signature does not verify")
            print("OK")
            return 0
        if args.command == "sign":
            tree = parse_xml(args.input)
            key = load_private_key(_read(args.key))
            cert_der, cert_pub = load_certificate(_read(args.cert))
            sign_document(tree, key, cert_der, cert_pub, args.reference_id,
                          xades=args.xades, sign_key_info=args.sign_key_info)
            encoding = tree.docinfo.encoding or "UTF-8"
            tree.write(args.output, encoding=encoding, xml_declaration=True)
            return 0
        tree = parse_xml(args.input)
        pub = load_certificate(_read(args.cert))[1] if args.cert else None
        for note in verify_document(tree, pub):
            print("note: " + note, file=sys.stderr)
        print("OK")
        return 0
    except SignError as exc:
        if args.command in ("verify", "raw-verify"):
            print(f"INVALID: {exc}")
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
