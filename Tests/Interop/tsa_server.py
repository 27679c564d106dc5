#!/usr/bin/env python3
"""A small RFC 3161 time-stamping authority over HTTP, for the test suite.

Every POSTed TimeStampReq (Content-Type application/timestamp-query) is handed
to `openssl ts -reply` with the TSA key and certificate given, and the reply is
sent back as application/timestamp-reply. Standard library only; the signing is
OpenSSL's (GOST through the engine configured in OPENSSL_CONF, which this
script sets to Certificates/openssl-gost.cnf unless already set).

Usage:
  tsa_server.py PORT [--key KEY] [--cert CERT] [--chain CHAIN] [--digest md_gost12_256]

Defaults: the GOST TEST TSA of Certificates/tsa/ (make-tsa.sh) and its CA.
Listens on 127.0.0.1 only. TEST KEYS ONLY.
"""

from __future__ import annotations

import argparse
import http.server
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.normpath(os.path.join(HERE, "..", "..", "Certificates"))
MAX_QUERY = 64 * 1024


def make_handler(args: argparse.Namespace, workdir: str):
    serial = os.path.join(workdir, "serial")
    with open(serial, "w") as f:
        f.write("01\n")
    env = dict(os.environ)
    env.setdefault("OPENSSL_CONF", os.path.join(CERTS, "openssl-gost.cnf"))
    env["MEZHVED_TSA_SERIAL"] = serial
    env["MEZHVED_TSA_DIGEST"] = args.digest

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *a):  # quiet: the tests read exit codes, not logs
            if args.verbose:
                sys.stderr.write("tsa_server: " + (fmt % a) + "\n")

        def fail(self, code: int, text: str) -> None:
            body = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/timestamp-query":
                return self.fail(415, "expected application/timestamp-query")
            length = int(self.headers.get("Content-Length", "0"))
            if length <= 0 or length > MAX_QUERY:
                return self.fail(400, "bad Content-Length")
            query = self.rfile.read(length)
            with tempfile.TemporaryDirectory(dir=workdir) as tmp:
                qpath = os.path.join(tmp, "query.tsq")
                rpath = os.path.join(tmp, "reply.tsr")
                with open(qpath, "wb") as f:
                    f.write(query)
                command = ["openssl", "ts", "-reply", "-config", os.path.join(CERTS, "tsa", "tsa.cnf"),
                           "-queryfile", qpath, "-inkey", args.key, "-signer", args.cert, "-out", rpath]
                if args.chain:
                    command += ["-chain", args.chain]
                result = subprocess.run(command, env=env, capture_output=True)
                if result.returncode != 0 or not os.path.exists(rpath):
                    return self.fail(500, result.stderr.decode(errors="replace"))
                with open(rpath, "rb") as f:
                    reply = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


def main() -> int:
    ap = argparse.ArgumentParser(description="RFC 3161 TSA over HTTP (openssl ts -reply), for tests")
    ap.add_argument("port", type=int)
    ap.add_argument("--key", default=os.path.join(CERTS, "tsa", "gost-tsa.key.pem"))
    ap.add_argument("--cert", default=os.path.join(CERTS, "tsa", "gost-tsa.pem"))
    ap.add_argument("--chain", default=os.path.join(CERTS, "gost", "ca.pem"),
                    help="certificates to include besides the TSA's ('' for none)")
    ap.add_argument("--digest", default="md_gost12_256", help="the TSA's signing digest (sha256 for RSA)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mezhved-tsa-") as workdir:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args, workdir))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
