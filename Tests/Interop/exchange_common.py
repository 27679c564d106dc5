"""What both sides of the exchange peer share (docs/exchange-protocol.md): the protocol's names,
Content-Digest, RFC 3339 times, safe XML parsing, the parts of a document the exchange reads, and
the signer's certificate — with gost_xmldsig.py for the GOST signature. No mezhved code."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
import ssl
import sys
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gost_xmldsig  # noqa: E402  (the separate GOST implementation beside this file)
from lxml import etree  # noqa: E402
from pyasn1.codec.der import decoder as der_decoder  # noqa: E402
from pyasn1.error import PyAsn1Error  # noqa: E402

# --------------------------------------------------------------------------------------------
# The protocol (docs/exchange-protocol.md)
# --------------------------------------------------------------------------------------------

PATH_MESSAGES = "/exchange/v1/messages"
NS = "urn:mezhved:interagency:1.0"
M = "{%s}" % NS
STREEBOG_256 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
MESSAGE_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}\Z")
RFC3339_UTC = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z\Z")
OID_OGRN = "1.2.643.100.1"
MOSCOW = dt.timezone(dt.timedelta(hours=3))
TIMEOUT = 30.0


def content_digest(body: bytes) -> str:
    """RFC 9530 `Content-Digest` of a body: sha-256=:BASE64:."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def sha256_from_content_digest(value: str) -> bytes | None:
    """The sha-256 member of a Content-Digest header (None when absent or malformed)."""
    for item in value.split(","):
        name, _, rest = item.strip().partition("=")
        if name.strip().lower() != "sha-256":
            continue
        rest = rest.strip()
        if len(rest) < 3 or not (rest.startswith(":") and rest.endswith(":")):
            return None
        try:
            digest = base64.b64decode(rest[1:-1], validate=True)
        except binascii.Error:
            return None
        return digest if len(digest) == 32 else None
    return None


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339_utc(text: str) -> dt.datetime | None:
    match = RFC3339_UTC.match(text)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def streebog256(data: bytes) -> bytes:
    return gost_xmldsig.streebog(data, 32)


class PeerError(Exception):
    """A failure with an exit code; the message names the input, the problem and what to do."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# Documents: safe parsing, the parts the exchange needs, the signer's certificate
# --------------------------------------------------------------------------------------------

def parse_document(data: bytes, what: str) -> etree._ElementTree:
    """Parses XML without DTDs, entities or network; a DOCTYPE is refused."""
    if len(data) > 0 and b"<!DOCTYPE" in data[:4096].upper():
        raise ValueError(f"{what} has a DOCTYPE (a DTD or entities), which the protocol refuses")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{what} is not well-formed XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ValueError(f"{what} has a DOCTYPE (a DTD or entities), which the protocol refuses")
    return tree


@dataclass
class Party:
    agency: str
    ogrn: str | None
    element: etree._Element


def party(root: etree._Element, local: str) -> Party:
    element = root.find(M + local)
    if element is None or not element.get("agency"):
        raise ValueError(f"the {etree.QName(root).localname} has no {local} with an agency")
    return Party(element.get("agency"), element.findtext(M + "OGRN"), element)


def signer_certificate(tree: etree._ElementTree) -> bytes:
    """The DER of the signer's certificate: KeyInfo's first, the one gost_xmldsig verified with
    (the others are its chain)."""
    certs = tree.getroot().findall(f"{gost_xmldsig.DS}Signature/{gost_xmldsig.DS}KeyInfo/"
                                   f"{gost_xmldsig.DS}X509Data/{gost_xmldsig.DS}X509Certificate")
    if not certs:
        raise ValueError("the signature carries no KeyInfo certificate")
    return gost_xmldsig._b64decode(certs[0].text, "X509Certificate")


def certificate_ogrn(der: bytes) -> str | None:
    """The OGRN (OID 1.2.643.100.1) in the certificate's subject, read with pyasn1 only."""
    try:
        cert = gost_xmldsig._der_decode(der, gost_xmldsig.Certificate())
        subject, _ = der_decoder.decode(bytes(cert["tbsCertificate"]["subject"]))
    except (gost_xmldsig.SignError, PyAsn1Error):
        return None
    for rdn in subject:
        for attribute in rdn:
            if str(attribute[0]) == OID_OGRN:
                return str(attribute[1])
    return None


def verify_signature(tree: etree._ElementTree) -> bytes:
    """gost_xmldsig's verification of the one enveloped signature; returns the signer's DER."""
    try:
        gost_xmldsig.verify_document(tree, None)
    except gost_xmldsig.SignError as exc:
        raise ValueError(f"the GOST signature does not verify: {exc}") from None
    return signer_certificate(tree)


def pem_der(path: str) -> bytes:
    """The DER of the (first) certificate of a PEM file."""
    with open(path, "rb") as handle:
        return ssl.PEM_cert_to_DER_cert(handle.read().decode("ascii"))
