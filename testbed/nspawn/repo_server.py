#!/usr/bin/env python3
"""Serve a folder over HTTPS for the test bed's package repositories.

Usage: repo_server.py --bind IP --port PORT --cert FILE --key FILE --root DIR --log FILE

up.sh starts it on the host side of a bed's veth pair and down.sh stops it by its PID. It is a
plain static file server: apt and curl inside the bed fetch Release files, packages and keys
from it as they would from smallstep's package server. Every request is appended to the log,
so a test can check what the bed fetched.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import ssl
import sys
from pathlib import Path


class LoggingHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that writes its access log to a file instead of stderr."""

    log_file: Path

    def log_message(self, format: str, *args: object) -> None:
        message = format % args
        line = f"{self.address_string()} - [{self.log_date_time_string()}] {message}\n"
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(line)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description="Serve a folder over HTTPS.")
    parser.add_argument("--bind", required=True, help="IP address to listen on")
    parser.add_argument("--port", type=int, default=443, help="TCP port to listen on")
    parser.add_argument("--cert", required=True, type=Path, help="PEM server certificate chain")
    parser.add_argument("--key", required=True, type=Path, help="PEM key of the certificate")
    parser.add_argument("--root", required=True, type=Path, help="folder to serve")
    parser.add_argument("--log", required=True, type=Path, help="file that receives the access log")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Serve the folder until the process is terminated."""
    args = parse_args(argv)
    LoggingHandler.log_file = args.log
    handler = functools.partial(LoggingHandler, directory=str(args.root))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=args.cert, keyfile=args.key)

    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with args.log.open("a", encoding="utf-8") as log:
        log.write(f"serving {args.root} on https://{args.bind}:{args.port}/\n")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
