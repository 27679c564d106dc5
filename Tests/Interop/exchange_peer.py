#!/usr/bin/env python3
"""An independent peer of the mezhved exchange protocol, written from docs/exchange-protocol.md alone.

It shares no code with mezhved: TLS and HTTP come from Python's standard library (`ssl`,
`http.client`, `http.server`), XML from lxml, GOST signatures from the separate pure-Python
implementation beside it (`gost_xmldsig.py`: gostcrypto + lxml, no OpenSSL), Streebog from gostcrypto.

  exchange_peer.py push DOC --url URL --cert TLS.crt --key TLS.key --pin PEER.crt --from A --to B
                   [--message-id ID] [--expires RFC3339] [--signer-cert GOST.pem] [--receipt OUT]
      Sends DOC as one message (POST /exchange/v1/messages, every header, Content-Digest too) over
      mutual TLS, the server's certificate pinned; prints the status and headers as one JSON line
      and saves the body (the receipt, or the problem). Then checks the receipt as the protocol says
      a sender must: its GOST signature, its signer is the receiving agency (the certificate's OGRN
      is the receipt's sender's; --signer-cert pins the certificate itself), it names the sent
      document, and its received digest is the Streebog-256 of exactly the bytes sent. Prints
      `RECEIPT VERIFIED accepted|rejected …` on success.
  exchange_peer.py check RECEIPT --sent DOC --from A --to B [--signer-cert GOST.pem]
      The same receipt checks on files (the response headers are not checked).

      Exit codes: 0 receipt verified; 2 usage or unreadable input; 3 no answer (connection, TLS
      handshake, timeout); 4 an answer without a receipt (a problem: 4xx/5xx, 202, 204); 5 a
      receipt that fails a check (the reason is printed).

  exchange_peer.py serve --listen 127.0.0.1:0 --cert TLS.crt --key TLS.key --pin [AGENCY=]PEER.crt
                   --agency B --signer-key GOST.key --signer-cert GOST.pem [--store DIR]
                   [--max-size BYTES] [--incoming-format 'ВХ-PY-{year}-{seq:06}']
      A minimal receiving gateway: accepts pushes from pinned clients only (an unpinned client
      fails the handshake), checks the headers, the size limit and Content-Digest, verifies the
      document's GOST signature and that its signer and sender are the authenticated peer, and
      answers with a receipt it composes in mezhved's receipt format (mezhved-receipt-1.0.xsd) and
      signs with gost_xmldsig. Receipts are on disk (--store, fsync'ed) before the answer; the same
      message id with the same bytes gets the same receipt byte for byte (`Mezhved-Duplicate: true`),
      with other bytes 409. Prints `listening on https://HOST:PORT` when it accepts connections;
      SIGTERM or SIGINT stop it. A pin's agency is AGENCY= or else the file's name without
      its extension (Certificates/tls/social-protection.crt -> social-protection).

Requires Python 3.11, lxml and gostcrypto (Tests/Interop/requirements.txt).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import http.client
import http.server
import json
import os
import re
import signal
import socket
import ssl
import sys
import tempfile
import threading
import urllib.parse
import uuid
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


# --------------------------------------------------------------------------------------------
# push
# --------------------------------------------------------------------------------------------

def client_context(cert: str, key: str, pin: str) -> ssl.SSLContext:
    """TLS 1.2+, our certificate, the peer's pinned certificate as the only trust root."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # pinned: the exact certificate is compared below
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=pin)
    context.load_cert_chain(cert, key)
    return context


def pem_der(path: str) -> bytes:
    with open(path, "rb") as handle:
        return ssl.PEM_cert_to_DER_cert(handle.read().decode("ascii"))


def push(args: argparse.Namespace) -> int:
    try:
        with open(args.document, "rb") as handle:
            body = handle.read()
        pinned = pem_der(args.pin)
        signer_pin = gost_xmldsig._pem_or_der(open(args.signer_cert, "rb").read(), "CERTIFICATE") \
            if args.signer_cert else None
        context = client_context(args.cert, args.key, args.pin)
    except (OSError, ValueError, ssl.SSLError, gost_xmldsig.SignError) as exc:
        raise PeerError(2, f"push: cannot read the inputs: {exc}") from None
    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "https" or not url.hostname:
        raise PeerError(2, f"push: --url {args.url} is not an https:// URL")
    message_id = args.message_id or str(uuid.uuid4())
    expires = args.expires or rfc3339(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    headers = {
        "Content-Type": "application/xml",
        "Content-Digest": content_digest(body),
        "Mezhved-Message-Id": message_id,
        "Mezhved-From": args.sender,
        "Mezhved-To": args.recipient,
        "Mezhved-Expires": expires,
    }
    connection = http.client.HTTPSConnection(url.hostname, url.port or 443, context=context, timeout=args.timeout)
    try:
        connection.connect()
        presented = connection.sock.getpeercert(binary_form=True)
        if presented != pinned:
            raise PeerError(3, f"push: the server at {args.url} presented a certificate other than the pinned {args.pin}")
        connection.request("POST", (url.path.rstrip("/") or "") + PATH_MESSAGES, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
        raise PeerError(3, f"push: no answer from {args.url}: {type(exc).__name__}: {exc} — not acknowledged; "
                           "send the same message id again") from None
    finally:
        connection.close()
    received = {name: value for name, value in response.getheaders()}
    out = args.receipt or args.document + ".receipt.xml"
    with open(out, "wb") as handle:
        handle.write(answer)
    print(json.dumps({"status": response.status, "headers": received, "body": out, "messageId": message_id},
                     ensure_ascii=False), flush=True)
    if response.status != 200:
        raise PeerError(4, f"push: HTTP {response.status}, no receipt: {answer[:2000].decode('utf-8', 'replace')}")
    outcome = check_receipt(answer, received, body, message_id, args.sender, args.recipient, signer_pin)
    print(f"RECEIPT VERIFIED {outcome}", flush=True)
    return 0


def header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def check(args: argparse.Namespace) -> int:
    """`check RECEIPT --sent DOC`: the receipt checks of `push` on files (no headers)."""
    try:
        with open(args.receipt, "rb") as handle:
            answer = handle.read()
        with open(args.sent, "rb") as handle:
            sent = handle.read()
        signer_pin = gost_xmldsig._pem_or_der(open(args.signer_cert, "rb").read(), "CERTIFICATE") \
            if args.signer_cert else None
    except (OSError, gost_xmldsig.SignError) as exc:
        raise PeerError(2, f"check: cannot read the inputs: {exc}") from None
    outcome = check_receipt(answer, None, sent, None, args.sender, args.recipient, signer_pin)
    print(f"RECEIPT VERIFIED {outcome}", flush=True)
    return 0


def check_receipt(answer: bytes, headers: dict[str, str] | None, sent: bytes, message_id: str | None, sender: str,
                  recipient: str, signer_pin: bytes | None) -> str:
    """The checks the protocol asks of a sender before it believes a receipt; a failure is exit 5.
    Without `headers` (a receipt from a file) only the body is checked."""
    def fail(reason: str) -> PeerError:
        return PeerError(5, f"the receipt is not an acknowledgement: {reason}")

    if headers is not None and header(headers, "Mezhved-Message-Id") != message_id:
        raise fail(f"Mezhved-Message-Id is {header(headers, 'Mezhved-Message-Id')!r}, not the message's {message_id!r}")
    claimed = header(headers, "Content-Digest") if headers is not None else None
    if claimed is not None and sha256_from_content_digest(claimed) != hashlib.sha256(answer).digest():
        raise fail("the response's Content-Digest does not match its body")
    try:
        tree = parse_document(answer, "the receipt")
        root = tree.getroot()
        if root.tag != M + "Receipt":
            raise ValueError(f"the body is {root.tag}, not a {M}Receipt")
        signer = verify_signature(tree)
        if signer_pin is not None and signer != signer_pin:
            raise ValueError("the receipt is signed with a certificate other than the receiving agency's pinned one")
        receipt_sender, receipt_recipient = party(root, "Sender"), party(root, "Recipient")
        if receipt_sender.agency != recipient:
            raise ValueError(f"the receipt comes from {receipt_sender.agency}, not from {recipient}")
        if receipt_recipient.agency != sender:
            raise ValueError(f"the receipt is addressed to {receipt_recipient.agency}, not to {sender}")
        ogrn = certificate_ogrn(signer)
        if ogrn is None or ogrn != receipt_sender.ogrn:
            raise ValueError(f"the signer's certificate (OGRN {ogrn}) is not the receiving agency's "
                             f"(OGRN {receipt_sender.ogrn})")
        document = parse_document(sent, "the sent document").getroot()
        registration = document.find(M + "Registration")
        named = root.find(M + "ReceivedDocument")
        if named is None or registration is None:
            raise ValueError("no ReceivedDocument in the receipt, or no Registration in the sent document")
        if (named.get("number"), named.get("date")) != (registration.get("number"), registration.get("date")):
            raise ValueError(f"the receipt names № {named.get('number')} of {named.get('date')}, but the sent document is "
                             f"№ {registration.get('number')} of {registration.get('date')}")
        if named.get("kind") != etree.QName(document).localname.lower():
            raise ValueError(f"the receipt names a {named.get('kind')}, but a {etree.QName(document).localname} was sent")
        if named.get("digestAlgorithm") != STREEBOG_256:
            raise ValueError(f"the received digest's algorithm is {named.get('digestAlgorithm')}, not Streebog-256")
        if named.get("digest") != base64.b64encode(streebog256(sent)).decode():
            raise ValueError("the received digest is not the Streebog-256 of the bytes sent")
        accepted, rejected = root.find(M + "Accepted"), root.find(M + "Rejected")
        said = header(headers, "Mezhved-Receipt") if headers is not None else None
        if accepted is not None:
            number = accepted.get("incomingNumber")
            if headers is not None and said != "accepted":
                raise ValueError(f"Mezhved-Receipt says {said!r}, the receipt says accepted")
            encoded = header(headers, "Mezhved-Incoming-Number") if headers is not None else None
            if headers is not None and (encoded is None or urllib.parse.unquote(encoded, errors="strict") != number):
                raise ValueError(f"Mezhved-Incoming-Number {encoded!r} is not the receipt's {number}")
            outcome = f"accepted {number} {accepted.get('incomingDate')}"
        elif rejected is not None:
            if headers is not None and said != "rejected":
                raise ValueError(f"Mezhved-Receipt says {said!r}, the receipt says rejected")
            outcome = "rejected " + " ".join((rejected.findtext(M + "Reason") or "").split())
        else:
            raise ValueError("the receipt says neither Accepted nor Rejected")
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(str(exc)) from None
    if headers is not None and header(headers, "Mezhved-Duplicate") == "true":
        outcome += " (duplicate)"
    return outcome


# --------------------------------------------------------------------------------------------
# serve
# --------------------------------------------------------------------------------------------

class Problem(Exception):
    """An RFC 9457 problem answer."""

    def __init__(self, status: int, code: str, detail: str, close: bool = False):
        super().__init__(detail)
        self.status, self.code, self.detail, self.close = status, code, detail, close


@dataclass
class Pin:
    agency: str
    der: bytes
    path: str


class Store:
    """The receiving side's durable state: one folder per message id (the body's SHA-256, the
    receipt), the incoming counter, the quarantine. Written with fsync before the answer."""

    def __init__(self, folder: str, incoming_format: str):
        self.folder = folder
        self.incoming_format = incoming_format
        self.lock = threading.Lock()
        for sub in ("messages", "quarantine"):
            os.makedirs(os.path.join(folder, sub), mode=0o700, exist_ok=True)

    @staticmethod
    def write(path: str, data: bytes) -> None:
        temporary = path + ".tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        folder = os.open(os.path.dirname(path), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def message_folder(self, message_id: str) -> str:
        # Message ids are [A-Za-z0-9._:@-]; ':' and a leading '.' are made safe for a file name.
        return os.path.join(self.folder, "messages", "m-" + message_id.replace(":", "%3A"))

    def earlier(self, message_id: str) -> tuple[bytes, bytes, str] | None:
        """(the body's SHA-256, the receipt, its outcome) of a message received before."""
        folder = self.message_folder(message_id)
        try:
            with open(os.path.join(folder, "body.sha256"), "rb") as handle:
                digest = handle.read()
            with open(os.path.join(folder, "receipt.xml"), "rb") as handle:
                receipt = handle.read()
            with open(os.path.join(folder, "outcome"), "r", encoding="utf-8") as handle:
                outcome = handle.read()
        except FileNotFoundError:
            return None
        return digest, receipt, outcome

    def next_number(self, today: dt.date) -> str:
        path = os.path.join(self.folder, "counter")
        try:
            with open(path, "r", encoding="ascii") as handle:
                sequence = int(handle.read().strip() or "0") + 1
        except FileNotFoundError:
            sequence = 1
        self.write(path, f"{sequence}\n".encode())
        return self.incoming_format.format(year=today.year, seq=sequence)

    def keep(self, message_id: str, body: bytes, receipt: bytes, outcome: str) -> None:
        folder = self.message_folder(message_id)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self.write(os.path.join(folder, "body.xml"), body)
        self.write(os.path.join(folder, "receipt.xml"), receipt)
        self.write(os.path.join(folder, "outcome"), outcome.encode())
        # Written last: its presence is what makes the message "received before".
        self.write(os.path.join(folder, "body.sha256"), hashlib.sha256(body).digest())

    def quarantine(self, message_id: str, body: bytes, reason: str) -> None:
        name = os.path.join(self.folder, "quarantine", f"{uuid.uuid4()}")
        self.write(name + ".xml", body)
        self.write(name + ".reason", f"{message_id}: {reason}\n".encode())


class Receiver:
    """What one running `serve` knows: its agency, signer, pins, limit and store."""

    def __init__(self, args: argparse.Namespace):
        self.agency = args.agency
        self.max_size = args.max_size
        self.key = gost_xmldsig.load_private_key(open(args.signer_key, "rb").read())
        self.cert_der, self.cert_pub = gost_xmldsig.load_certificate(open(args.signer_cert, "rb").read())
        self.pins: list[Pin] = []
        for text in args.pin:
            agency, _, path = text.rpartition("=")
            agency = agency or os.path.splitext(os.path.basename(path))[0]
            self.pins.append(Pin(agency, pem_der(path), path))
        self.store = Store(args.store or tempfile.mkdtemp(prefix="exchange-peer-"), args.incoming_format)

    def peer_of(self, der: bytes | None) -> str | None:
        return next((pin.agency for pin in self.pins if pin.der == der), None)

    def receive(self, headers, body: bytes, peer: str) -> tuple[int, dict[str, str], bytes]:
        """The push route after the body arrived: duplicate elimination, verification, the receipt."""
        message_id = headers["Mezhved-Message-Id"]
        with self.store.lock:
            earlier = self.store.earlier(message_id)
            if earlier is not None:
                digest, receipt, outcome = earlier
                if digest != hashlib.sha256(body).digest():
                    raise Problem(409, "message-id-reused",
                                  f"the message id {message_id} was received before with other bytes; nothing was recorded")
                return 200, self.receipt_headers(message_id, receipt, outcome, duplicate=True), receipt
            try:
                tree = parse_document(body, f"message {message_id}")
                root = tree.getroot()
                if root.tag not in (M + "Request", M + "Answer"):
                    raise ValueError(f"the body is {root.tag}, not an interagency Request or Answer")
                registration = root.find(M + "Registration")
                sender, recipient = party(root, "Sender"), party(root, "Recipient")
                if registration is None or not registration.get("number") or not registration.get("date"):
                    raise ValueError("the document has no Registration number and date")
                dt.date.fromisoformat(registration.get("date"))
            except ValueError as exc:
                self.store.quarantine(message_id, body, str(exc))
                raise Problem(422, "unusable-document",
                              f"{exc}; it is kept in quarantine and no receipt can be addressed") from None
            received_at = dt.datetime.now(MOSCOW).replace(microsecond=0)
            reason = self.refusal(tree, sender, recipient, peer)
            if reason is None:
                number = self.store.next_number(received_at.date())
                outcome = f"accepted {number}"
            else:
                number = None
                outcome = "rejected " + reason
                self.store.quarantine(message_id, body, reason)
            receipt = self.receipt(root, registration, sender, recipient, body, received_at, number, reason)
            self.store.keep(message_id, body, receipt, outcome)
            return 200, self.receipt_headers(message_id, receipt, outcome, duplicate=False), receipt

    def refusal(self, tree, sender: Party, recipient: Party, peer: str) -> str | None:
        """Why the document is refused (the receipt's reason, in Russian for the sender's clerk), or None."""
        try:
            signer = verify_signature(tree)
        except ValueError as exc:
            return f"Электронная подпись документа не подтверждена: {exc}"
        ogrn = certificate_ogrn(signer)
        if ogrn is None or ogrn != sender.ogrn:
            return (f"Документ подписан не должностным лицом органа-отправителя: ОГРН сертификата {ogrn}, "
                    f"ОГРН отправителя {sender.ogrn}")
        if sender.agency != peer:
            return f"Отправитель документа ({sender.agency}) не совпадает с узлом, передавшим его ({peer})"
        if recipient.agency != self.agency:
            return f"Документ адресован другому органу: {recipient.agency}, а не {self.agency}"
        return None

    def receipt(self, document, registration, sender: Party, recipient: Party, body: bytes, received_at: dt.datetime,
                number: str | None, reason: str | None) -> bytes:
        """A receipt in mezhved's format (mezhved-receipt-1.0.xsd), signed with gost_xmldsig."""
        slug = re.sub(r"[^A-Za-z0-9]+", "-", registration.get("number")).strip("-") or "document"
        root = etree.Element(M + "Receipt", nsmap={None: NS})
        root.set("Id", f"receipt-{slug}-{int(received_at.timestamp())}")
        root.set("version", "1.0")
        for local, source in (("Sender", recipient.element), ("Recipient", sender.element)):
            element = etree.SubElement(root, M + local, agency=source.get("agency"))
            for child in ("Name", "OGRN", "INN"):
                value = source.findtext(M + child)
                if value is not None:
                    etree.SubElement(element, M + child).text = value
        etree.SubElement(root, M + "ReceivedDocument", number=registration.get("number"), date=registration.get("date"),
                         kind=etree.QName(document).localname.lower(), digestAlgorithm=STREEBOG_256,
                         digest=base64.b64encode(streebog256(body)).decode())
        etree.SubElement(root, M + "ReceivedAt").text = received_at.isoformat()
        if number is not None:
            incoming_date = max(received_at.date(), dt.date.fromisoformat(registration.get("date")))
            etree.SubElement(root, M + "Accepted", incomingNumber=number, incomingDate=incoming_date.isoformat())
        else:
            etree.SubElement(etree.SubElement(root, M + "Rejected"), M + "Reason").text = reason[:3900]
        tree = root.getroottree()
        gost_xmldsig.sign_document(tree, self.key, self.cert_der, self.cert_pub, None)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    @staticmethod
    def receipt_headers(message_id: str, receipt: bytes, outcome: str, duplicate: bool) -> dict[str, str]:
        fields = {"Content-Type": "application/xml", "Content-Digest": content_digest(receipt),
                  "Mezhved-Message-Id": message_id, "Mezhved-Duplicate": "true" if duplicate else "false",
                  "Mezhved-Receipt": outcome.split(" ", 1)[0]}
        if outcome.startswith("accepted "):
            fields["Mezhved-Incoming-Number"] = urllib.parse.quote(outcome.split(" ", 1)[1], safe="-._~/")
        return fields


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "exchange-peer"
    receiver: Receiver

    def setup(self):
        self.request.settimeout(TIMEOUT)
        self.request.do_handshake()  # an unpinned client fails here (Server.handle_error logs it)
        super().setup()

    def handle(self):
        try:
            super().handle()
        except (ssl.SSLError, OSError, TimeoutError):
            pass

    def log_message(self, format, *args):  # the operators' log: no bodies, no header values
        sys.stderr.write("exchange-peer: %s\n" % (format % args))

    def answer(self, status: int, headers: dict[str, str], body: bytes, close: bool = False) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def problem(self, problem: Problem) -> None:
        body = json.dumps({"type": f"https://mezhved.example/problems/{problem.code}",
                           "title": http.HTTPStatus(problem.status).phrase, "status": problem.status,
                           "detail": problem.detail, "code": problem.code}, ensure_ascii=False).encode()
        self.answer(problem.status, {"Content-Type": "application/problem+json"}, body, close=problem.close)

    def do_GET(self):
        if self.path == "/health":
            self.answer(200, {"Content-Type": "text/plain"}, b"ok\n")
        else:
            self.problem(Problem(404, "not-found", f"no route {self.command} {self.path.split('?')[0]}"))

    def handle_expect_100(self):
        try:
            self.check_length()
        except Problem as problem:
            self.problem(problem)
            return False
        return super().handle_expect_100()

    def check_length(self) -> int | None:
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        if not length.isdigit():
            raise Problem(400, "header-invalid", "Content-Length is not a number", close=True)
        if int(length) > self.receiver.max_size:
            raise Problem(413, "body-too-large", f"the document is larger than this gateway's limit of "
                                                 f"{self.receiver.max_size} bytes; nothing was recorded", close=True)
        return int(length)

    def read_body(self) -> bytes:
        """The body, never more than the limit (Content-Length or chunked)."""
        limit = self.receiver.max_size
        length = self.check_length()
        if length is not None:
            body = self.rfile.read(length)
            if len(body) != length:
                raise Problem(400, "body-incomplete", "the body ended before Content-Length", close=True)
            return body
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            raise Problem(411, "length-required", "send Content-Length or a chunked body", close=True)
        parts, total = [], 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise Problem(400, "body-invalid", "a malformed chunk", close=True) from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                raise Problem(413, "body-too-large", f"the document is larger than this gateway's limit of {limit} "
                                                     "bytes; nothing was recorded", close=True)
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def do_POST(self):
        try:
            if self.path.split("?")[0] != PATH_MESSAGES:
                raise Problem(404, "not-found", f"no route POST {self.path.split('?')[0]}", close=True)
            peer = self.receiver.peer_of(self.request.getpeercert(binary_form=True))
            if peer is None:  # the handshake accepts pinned certificates only: defence in depth
                raise Problem(403, "peer-not-pinned", "the TLS client certificate is not a pinned peer's", close=True)
            headers = self.message_headers()
            if headers["Mezhved-From"] != peer:
                raise Problem(403, "sender-not-peer", f"Mezhved-From says {headers['Mezhved-From'][:100]}, but the "
                                                      f"connection is authenticated as {peer}; nothing was recorded")
            if headers["Mezhved-To"] != self.receiver.agency:
                raise Problem(403, "wrong-recipient", f"Mezhved-To says {headers['Mezhved-To'][:100]}; this is the "
                                                      f"gateway of {self.receiver.agency}. Nothing was recorded")
            if headers["expires"] <= dt.datetime.now(dt.timezone.utc):
                raise Problem(410, "message-expired", "the message expired (Mezhved-Expires); nothing was recorded")
            kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in ("application/xml", "text/xml"):
                raise Problem(415, "not-xml", f"the body must be application/xml, not {kind or 'untyped'}", close=True)
            body = self.read_body()
            if headers["digest"] is not None and headers["digest"] != hashlib.sha256(body).digest():
                raise Problem(400, "content-digest-mismatch", "the body's SHA-256 is not the one Content-Digest names: "
                                                              "the message was damaged on the way; send it again")
            status, fields, receipt = self.receiver.receive(headers, body, peer)
            self.answer(status, fields, receipt)
        except Problem as problem:
            self.problem(problem)

    def message_headers(self) -> dict:
        fields = {}
        for name in ("Mezhved-Message-Id", "Mezhved-From", "Mezhved-To", "Mezhved-Expires"):
            value = self.headers.get(name)
            if not value:
                raise Problem(400, "header-missing", f"the {name} header is missing (docs/exchange-protocol.md, Headers)")
            fields[name] = value
        if not MESSAGE_ID.match(fields["Mezhved-Message-Id"]):
            raise Problem(400, "header-invalid", "Mezhved-Message-Id must be 1–128 characters of A–Z a–z 0–9 . _ : @ -")
        fields["expires"] = parse_rfc3339_utc(fields["Mezhved-Expires"])
        if fields["expires"] is None:
            raise Problem(400, "header-invalid", "Mezhved-Expires must be an RFC 3339 UTC time (2026-12-10T12:00:00Z)")
        digest = self.headers.get("Content-Digest")
        fields["digest"] = None
        if digest is not None:
            fields["digest"] = sha256_from_content_digest(digest)
            if fields["digest"] is None:
                raise Problem(400, "header-invalid", "Content-Digest must be sha-256=:BASE64: (RFC 9530)")
        return fields


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address, context: ssl.SSLContext):
        super().__init__(address, Handler)
        self.context = context

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        sys.stderr.write(f"exchange-peer: connection from {client_address[0]} dropped: {type(error).__name__}: {error}\n")

    def get_request(self):
        connection, address = self.socket.accept()
        # The handshake runs in the connection's own thread (Handler.setup), not in the accept loop.
        return self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address


def serve(args: argparse.Namespace) -> int:
    try:
        receiver = Receiver(args)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.cert, args.key)
        context.verify_mode = ssl.CERT_REQUIRED  # a client certificate, and only a pinned one
        for pin in receiver.pins:
            context.load_verify_locations(cafile=pin.path)
    except (OSError, ValueError, ssl.SSLError, gost_xmldsig.SignError) as exc:
        raise PeerError(2, f"serve: cannot read the inputs: {exc}") from None
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise PeerError(2, f"serve: --listen {args.listen} is not host:port")
    Handler.receiver = receiver
    try:
        server = Server((host.strip("[]"), int(port)), context)
    except OSError as exc:
        raise PeerError(2, f"serve: cannot listen on {args.listen}: {exc}") from None

    def stop(_signal, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound = server.server_address
    print(f"exchange-peer: {receiver.agency} listening on https://{bound[0]}:{bound[1]}", flush=True)
    print(f"exchange-peer: messages and receipts kept in {receiver.store.folder}", file=sys.stderr, flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An independent peer of the mezhved exchange protocol (tests).")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("push", help="send one message and check its receipt")
    p.add_argument("document")
    p.add_argument("--url", required=True, help="the receiving gateway, https://HOST:PORT")
    p.add_argument("--cert", required=True, help="our TLS certificate (PEM)")
    p.add_argument("--key", required=True, help="our TLS key (PEM)")
    p.add_argument("--pin", required=True, help="the receiving gateway's TLS certificate, the only one accepted")
    p.add_argument("--from", dest="sender", required=True, help="our agency id (Mezhved-From)")
    p.add_argument("--to", dest="recipient", required=True, help="the receiving agency id (Mezhved-To)")
    p.add_argument("--message-id", help="default: a new UUID")
    p.add_argument("--expires", help="Mezhved-Expires (default: in one day)")
    p.add_argument("--signer-cert", help="the receiving agency's GOST certificate the receipt must be signed with")
    p.add_argument("--receipt", help="where the body goes (default: DOCUMENT.receipt.xml)")
    p.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds for connecting and for the answer")
    c = commands.add_parser("check", help="check a receipt saved in a file against the document sent")
    c.add_argument("receipt")
    c.add_argument("--sent", required=True, help="the document exactly as it was sent")
    c.add_argument("--from", dest="sender", required=True, help="the sending agency id")
    c.add_argument("--to", dest="recipient", required=True, help="the receiving agency id (the receipt's signer)")
    c.add_argument("--signer-cert", help="the receiving agency's GOST certificate the receipt must be signed with")
    s = commands.add_parser("serve", help="a minimal receiving gateway")
    s.add_argument("--listen", required=True, help="HOST:PORT (port 0: a free one)")
    s.add_argument("--cert", required=True, help="our TLS certificate (PEM)")
    s.add_argument("--key", required=True, help="our TLS key (PEM)")
    s.add_argument("--pin", required=True, action="append", help="[AGENCY=]PEER.crt, a client accepted (repeatable)")
    s.add_argument("--agency", required=True, help="our agency id (Mezhved-To, the receipts' sender)")
    s.add_argument("--signer-key", required=True, help="the GOST key that signs the receipts (PKCS#8 PEM)")
    s.add_argument("--signer-cert", required=True, help="its certificate (PEM)")
    s.add_argument("--store", help="the folder of received messages and receipts (default: a new temporary one)")
    s.add_argument("--max-size", type=int, default=64 << 20, help="the largest body accepted, bytes")
    s.add_argument("--incoming-format", default="ВХ-PY-{year}-{seq:06}", help="incoming numbers ({year}, {seq})")
    args = parser.parse_args(argv)
    try:
        return {"push": push, "check": check, "serve": serve}[args.command](args)
    except PeerError as exc:
        print(f"exchange_peer: error: {exc}", file=sys.stderr, flush=True)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
