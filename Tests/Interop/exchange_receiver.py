"""The receiving side of the exchange peer (`exchange_peer.py serve`): a minimal gateway that
accepts pushes from pinned clients, verifies them with gost_xmldsig and answers with receipts it
composes in mezhved's receipt format and signs itself. No mezhved code."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import http
import http.server
import json
import os
import re
import signal
import ssl
import sys
import tempfile
import threading
import urllib.parse
import uuid
from dataclasses import dataclass

from exchange_common import (M, MESSAGE_ID, MOSCOW, NS, PATH_MESSAGES, STREEBOG_256, TIMEOUT, Party, PeerError,
                             certificate_ogrn, content_digest, gost_xmldsig, parse_document, parse_rfc3339_utc, party,
                             pem_der, sha256_from_content_digest, streebog256, verify_signature)
from lxml import etree

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
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a pin is an anchor, self-signed or not
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
