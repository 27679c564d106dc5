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

Modules: exchange_common.py (what both sides share), exchange_receiver.py (serve), this file (the
command line, push and check). Requires Python 3.11, lxml, gostcrypto and pyasn1
(Tests/Interop/requirements.txt).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import http.client
import json
import os
import ssl
import sys
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exchange_common import (M, PATH_MESSAGES, STREEBOG_256, TIMEOUT, PeerError, certificate_ogrn,  # noqa: E402
                             content_digest, gost_xmldsig, parse_document, party, pem_der, rfc3339,
                             sha256_from_content_digest, streebog256, verify_signature)
from exchange_receiver import serve  # noqa: E402
from lxml import etree  # noqa: E402

# --------------------------------------------------------------------------------------------
# push
# --------------------------------------------------------------------------------------------

def client_context(cert: str, key: str, pin: str) -> ssl.SSLContext:
    """TLS 1.2+, our certificate, the peer's pinned certificate as the only trust root."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # pinned: the exact certificate is compared below
    context.verify_mode = ssl.CERT_REQUIRED
    # The pin is a trust anchor even when it is not self-signed (a CA-issued certificate pinned).
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_verify_locations(cafile=pin)
    context.load_cert_chain(cert, key)
    return context



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
