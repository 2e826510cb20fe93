#!/usr/bin/env python3
"""webhook_receiver.py -- a webhook receiver for api_hooks_test.sh, on 127.0.0.1 only.

usage: webhook_receiver.py PORT SECRET_FILE LOG [--fail-first N] [--delay SECONDS] [--tls CERT KEY]

Checks each POST's X-Alfup-Signature (HMAC-SHA256 of the body with the secret) and that the body's
id is the X-Alfup-Event-Id header; answers 500 to the first N deliveries, then 204 (after --delay
seconds each); with --tls, over HTTPS with that certificate. Appends one line per delivery to LOG: "ID TYPE STATUS" (STATUS: ok, failed-on-purpose,
badsig, badid), and "start" when it begins waiting in a request (for the slow receiver's check).
"""
import hashlib
import hmac
import json
import ssl
import sys
import time
from http.server import HTTPServer, BaseHTTPRequestHandler

port, secret_file, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
args = sys.argv[4:]
fail_first = int(args[args.index("--fail-first") + 1]) if "--fail-first" in args else 0
delay = float(args[args.index("--delay") + 1]) if "--delay" in args else 0.0
with open(secret_file, "rb") as f:
    secret = f.read().rstrip(b"\r\n")
failed = 0


def log(line):
    with open(log_path, "a") as f:
        f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global failed
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        event = json.loads(body)
        status, code = "ok", 204
        if not hmac.compare_digest(want, self.headers.get("X-Alfup-Signature", "")):
            status, code = "badsig", 400
        elif str(event.get("id")) != self.headers.get("X-Alfup-Event-Id"):
            status, code = "badid", 400
        elif failed < fail_first:
            failed += 1
            status, code = "failed-on-purpose", 500
        if delay:
            log(f"start {event.get('id')}")
            time.sleep(delay)
        log(f"{event.get('id')} {event.get('type')} {status}")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Handler)
if "--tls" in args:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args[args.index("--tls") + 1], args[args.index("--tls") + 2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
