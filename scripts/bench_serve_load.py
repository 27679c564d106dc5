#!/usr/bin/env python3
"""The load generator of scripts/bench-serve.sh: pushes signed documents to `mezhved serve` over
keep-alive HTTP/1.1 connections with mutual TLS (docs/exchange-protocol.md, section 1), at a fixed
concurrency for a fixed time (or a fixed rate, for the soak), and reports what came back.

Every push carries a document of its own (the next path of --files-from, read when it is sent) and
a message id of its own (a UUID). A push counts as acknowledged only when the answer is 200 with
`Mezhved-Receipt: accepted`, `Mezhved-Duplicate: false` and an XML body: everything else is counted
by what it was and reported. Latency is from the first byte written to the last byte of the answer
read. `--health` measures the generator itself against `GET /health` (no document, no work in the
server), so that its own ceiling and CPU cost per request are known beside the server's figures.

Standard library only (asyncio, ssl); one Python process, one thread. Prints one JSON object.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import resource
import ssl
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", required=True,
                        help="the server's port; several, comma-separated (nodes of one gateway), spread the connections round-robin")
    parser.add_argument("--cert", help="the client's TLS certificate (omit for plain HTTP on loopback)")
    parser.add_argument("--key", help="the client's TLS key")
    parser.add_argument("--pin", help="the server's TLS certificate, the only one trusted")
    parser.add_argument("--sender", default="social-protection", help="Mezhved-From")
    parser.add_argument("--recipient", default="employment", help="Mezhved-To")
    parser.add_argument("--files-from", help="the documents, one path a line")
    parser.add_argument("--first", type=int, default=0, help="start at this line of --files-from (0-based)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections, each with one request at a time")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load")
    parser.add_argument("--count", type=int, default=0, help="stop after this many documents (0: no limit)")
    parser.add_argument("--rate", type=float, default=0, help="requests per second in all (0: as fast as answered)")
    parser.add_argument("--health", action="store_true", help="GET /health instead of pushing documents")
    parser.add_argument("--timeout", type=float, default=30, help="seconds for one answer")
    return parser.parse_args()


class Load:
    def __init__(self, arguments):
        self.arguments = arguments
        self.ports = [int(port) for port in str(arguments.port).split(",") if port.strip()]
        self.paths = []
        if not arguments.health:
            with open(arguments.files_from, encoding="utf-8") as listing:
                self.paths = [line.strip() for line in listing if line.strip()]
            self.paths = self.paths[arguments.first:]
            if arguments.count > 0:
                self.paths = self.paths[:arguments.count]
        self.next = 0
        self.latencies = []
        self.outcomes = {}
        self.examples = {}
        self.connections = 0
        self.bytes_sent = 0
        self.exhausted = False
        self.expires = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.context = None
        if arguments.cert:
            self.context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=arguments.pin)
            self.context.load_cert_chain(arguments.cert, arguments.key)
            self.context.minimum_version = ssl.TLSVersion.TLSv1_2

    def count(self, outcome, example=None):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if example is not None and outcome not in self.examples:
            self.examples[outcome] = example[:300]

    def take(self):
        """The next request's bytes, or None when the documents ran out."""
        arguments = self.arguments
        if arguments.health:
            return f"GET /health HTTP/1.1\r\nHost: {arguments.host}\r\n\r\n".encode()
        if self.next >= len(self.paths):
            self.exhausted = True
            return None
        path = self.paths[self.next]
        self.next += 1
        with open(path, "rb") as document:
            body = document.read()
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        head = (
            f"POST /exchange/v1/messages HTTP/1.1\r\nHost: {arguments.host}\r\n"
            f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
            f"Content-Digest: sha-256=:{digest}:\r\nMezhved-Message-Id: {uuid.uuid4()}\r\n"
            f"Mezhved-From: {arguments.sender}\r\nMezhved-To: {arguments.recipient}\r\n"
            f"Mezhved-Expires: {self.expires}\r\n\r\n"
        )
        return head.encode() + body

    async def connect(self, slot):
        self.connections += 1
        port = self.ports[slot % len(self.ports)]
        return await asyncio.open_connection(self.arguments.host, port, ssl=self.context)

    async def exchange(self, reader, writer, request):
        """Sends one request; returns (status, headers, body, keep-alive)."""
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return status, headers, body, headers.get("connection", "").lower() != "close"

    def judge(self, status, headers, body):
        if self.arguments.health:
            return "200" if status == 200 and body == b"ok\n" else f"{status}"
        if status != 200:
            return f"{status} {headers.get('content-type', '')}"
        receipt = headers.get("mezhved-receipt", "none")
        duplicate = headers.get("mezhved-duplicate", "none")
        if receipt != "accepted" or duplicate != "false" or not body.startswith(b"<?xml"):
            return f"200 receipt={receipt} duplicate={duplicate}"
        return "200 accepted"

    async def worker(self, deadline, started, slot):
        reader = writer = None
        while time.monotonic() < deadline:
            if self.arguments.rate > 0:
                # Open loop within the concurrency bound: request n is due at started + n / rate.
                due = started + self.scheduled / self.arguments.rate
                self.scheduled += 1
                if due > deadline:
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            request = self.take()
            if request is None:
                break
            try:
                if writer is None:
                    reader, writer = await self.connect(slot)
                began = time.monotonic()
                status, headers, body, keep = await asyncio.wait_for(
                    self.exchange(reader, writer, request), self.arguments.timeout)
                self.latencies.append(time.monotonic() - began)
                self.bytes_sent += len(request)
                self.count(self.judge(status, headers, body), body.decode("utf-8", "replace"))
                if not keep:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError, ValueError) as error:
                self.count(f"error {type(error).__name__}", str(error))
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()

    async def run(self):
        self.scheduled = 0
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        deadline = started + self.arguments.duration
        await asyncio.gather(*(self.worker(deadline, started, n) for n in range(self.arguments.concurrency)))
        elapsed = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        return elapsed, cpu


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def main():
    arguments = parse_arguments()
    if not arguments.health and not arguments.files_from:
        sys.exit("bench_serve_load.py: give --files-from LIST (the documents) or --health")
    load = Load(arguments)
    elapsed, cpu = asyncio.run(load.run())
    latencies = sorted(load.latencies)
    done = len(latencies)
    good = load.outcomes.get("200 accepted" if not arguments.health else "200", 0)
    milliseconds = lambda value: None if value is None else round(value * 1000, 2)
    print(json.dumps({
        "mode": "health" if arguments.health else "push",
        "tls": bool(arguments.cert),
        "concurrency": arguments.concurrency,
        "ports": load.ports,
        "rate_limit": arguments.rate,
        "seconds": round(elapsed, 3),
        "answered": done,
        "acknowledged": good,
        "per_second": round(good / elapsed, 1) if elapsed else 0,
        "outcomes": load.outcomes,
        "examples": {k: v for k, v in load.examples.items() if not k.startswith("200 accepted") and k != "200"},
        "documents_used": load.next,
        "documents_ran_out": load.exhausted,
        "connections": load.connections,
        "p50_ms": milliseconds(percentile(latencies, 0.50)),
        "p90_ms": milliseconds(percentile(latencies, 0.90)),
        "p99_ms": milliseconds(percentile(latencies, 0.99)),
        "max_ms": milliseconds(latencies[-1] if latencies else None),
        "mean_request_bytes": round(load.bytes_sent / done) if done else 0,
        "generator_cpu_s": round(cpu, 3),
        "generator_cpu_us_per_request": round(cpu / done * 1e6, 1) if done else None,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
