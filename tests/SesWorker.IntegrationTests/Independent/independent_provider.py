#!/usr/bin/env python3
"""A provider that shares no code with SesWorker, for the independent-provider integration test.

The project's SMTP simulator is written with the worker (same language, same MIME library), so a mistake both make
would pass every test that uses it. This server is built only from Debian's python3-aiosmtpd and Python's own ssl and
email packages:

  serve    SMTP over implicit TLS, AUTH PLAIN/LOGIN per sender address (MAIL FROM must be the authenticated user, as the
           provider's SMTP guide requires), each reply to MAIL FROM, RCPT TO and the end of DATA after a delay drawn
           uniformly from mean +- jitter. It keeps every message (DIR/messages/N.eml) and appends one JSON line per
           accepted transaction to DIR/transactions.jsonl: the user, when its MAIL FROM and its end of DATA arrived
           (this process's clock), its size. It prints "ready <port>" once it listens and stops on SIGTERM.
  inspect  Parses every kept message with Python's email package (policy.default) and prints one JSON object per
           message: its headers as Python decodes them, the parser's defects, what breaks the provider's header rules
           (the "SES SMTP error codes" page's input parameters), the text and HTML bodies, and each attachment's
           decoded file name, content type, size and SHA-256.
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import ssl
import sys
import threading
import time
import warnings
from email import policy
from email.parser import BytesParser

# Debian's package; the test runs this file with /usr/bin/python3 (infra/services.sh installs python3-aiosmtpd).
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Provider:
    def __init__(self, accounts, latency_ms, jitter_ms, out_dir):
        self.accounts = accounts
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.out_dir = out_dir
        self.messages_dir = os.path.join(out_dir, "messages")
        os.makedirs(self.messages_dir, exist_ok=True)
        self.log = open(os.path.join(out_dir, "transactions.jsonl"), "a", buffering=1, encoding="utf-8")
        self.sequence = 0

    async def _reply_delay(self):
        delay = self.latency_ms + random.uniform(-self.jitter_ms, self.jitter_ms)
        if delay > 0:
            await asyncio.sleep(delay / 1000)

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            if self.accounts.get(user) == auth_data.password.decode("utf-8", "replace"):
                return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        arrived = time.time()
        await self._reply_delay()
        if session.auth_data != address:
            return "553 5.7.1 MAIL FROM is not the authenticated sender"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.mail_from_at = arrived
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._reply_delay()
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        # Every handler runs on the controller's one event loop: no two at once.
        self.sequence += 1
        sequence = self.sequence
        content = envelope.original_content
        with open(os.path.join(self.messages_dir, f"{sequence}.eml"), "wb") as f:
            f.write(content)
        await self._reply_delay()
        record = {
            "user": session.auth_data,
            "mailFromAt": envelope.mail_from_at,
            "endOfDataAt": arrived,
            "recipients": len(envelope.rcpt_tos),
            "size": len(content),
        }
        self.log.write(json.dumps(record) + "\n")
        return f"250 2.0.0 OK queued as {sequence}"


def serve(args):
    # A provider runs on machines of its own; here it shares two cores with the worker, the test host, PostgreSQL and
    # RabbitMQ, and every handler runs on one event loop: a loop held up by them records queued ends of DATA late and
    # close together (21 within 1,000 ms once, from sends the worker spaced 1,026 ms per 21). Ahead of them for the CPU,
    # as the compose file gives the simulator four times the CPU weight. Before the event loop's thread starts, which
    # inherits it; only root may raise it, and the provider runs without otherwise.
    try:
        os.nice(-10)
    except PermissionError:
        pass
    with open(args.accounts, encoding="utf-8") as f:
        accounts = {a["user"]: a["password"] for a in json.load(f)}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    provider = Provider(accounts, args.latency_ms, args.jitter_ms, args.out)
    # Implicit TLS: the whole session is encrypted, which aiosmtpd's check for AUTH without TLS (STARTTLS only) does not
    # see; its warning about that would be noise.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    controller = Controller(
        provider,
        hostname="127.0.0.1",
        port=args.port,
        ssl_context=context,
        server_hostname="localhost",
        ident="independent-provider",
        authenticator=provider.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    print(f"ready {args.port}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


# The provider's header rules ("SES SMTP error codes", input parameters): the content types it takes, text in UTF-8,
# attachments base64 with the disposition "attachment", no Cc or Bcc, no Content-ID, -Location or -Base, MIME-Version
# absent or 1.0.
ALLOWED_TYPES = {"text/plain", "text/html", "multipart/mixed", "multipart/related", "multipart/alternative"}


def rule_violations(message):
    violations = [f"{name} header" for name in ("Cc", "Bcc") if message[name] is not None]
    if str(message["MIME-Version"] or "1.0").strip() != "1.0":
        violations.append(f"MIME-Version {message['MIME-Version']}")
    for part in message.walk():
        violations += [f"{name} in {part.get_content_type()}" for name in ("Content-ID", "Content-Location", "Content-Base") if part[name] is not None]
        disposition = part.get_content_disposition()
        if disposition == "attachment":
            encoding = str(part["Content-Transfer-Encoding"] or "").strip().lower()
            if encoding != "base64":
                violations.append(f"attachment {part.get_filename()!r} with Content-Transfer-Encoding {encoding!r}")
        elif disposition is not None:
            violations.append(f"Content-Disposition {disposition} on {part.get_content_type()}")
        elif part.get_content_type() not in ALLOWED_TYPES:
            violations.append(f"Content-Type {part.get_content_type()}")
        elif part.get_content_maintype() == "text" and (part.get_content_charset() or "").lower() != "utf-8":
            violations.append(f"{part.get_content_type()} in charset {part.get_content_charset()}")
    return violations


def inspect(args):
    messages_dir = os.path.join(args.out, "messages")
    parser = BytesParser(policy=policy.default)
    for name in sorted(os.listdir(messages_dir), key=lambda n: int(n.split(".")[0])):
        with open(os.path.join(messages_dir, name), "rb") as f:
            raw = f.read()
        message = parser.parsebytes(raw)
        defects = [f"{type(d).__name__} in {part.get_content_type()}" for part in message.walk() for d in part.defects]
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        attachments = []
        for part in message.iter_attachments():
            content = part.get_payload(decode=True) or b""
            attachments.append({
                "fileName": part.get_filename(),
                "contentType": part.get_content_type(),
                "disposition": part.get_content_disposition(),
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            })
        print(json.dumps({
            "file": name,
            "messageId": str(message["Message-ID"] or ""),
            "subject": str(message["Subject"] or ""),
            "from": [{"name": a.display_name, "address": a.addr_spec} for a in message["From"].addresses] if message["From"] else [],
            "to": [a.addr_spec for a in message["To"].addresses] if message["To"] else [],
            "replyTo": [a.addr_spec for a in message["Reply-To"].addresses] if message["Reply-To"] else [],
            "date": str(message["Date"] or ""),
            "mimeVersion": str(message["MIME-Version"] or ""),
            "contentType": message.get_content_type(),
            "defects": defects,
            "ruleViolations": rule_violations(message),
            "longestLine": max((len(line) for line in raw.split(b"\r\n")), default=0),
            "bareLineFeeds": raw.count(b"\n") - raw.count(b"\r\n"),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "attachments": attachments,
        }, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--accounts", required=True, help='JSON: [{"user": "...", "password": "..."}]')
    s.add_argument("--latency-ms", type=float, default=100)
    s.add_argument("--jitter-ms", type=float, default=30)
    s.add_argument("--out", required=True)
    i = commands.add_parser("inspect")
    i.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")
    serve(args) if args.command == "serve" else inspect(args)


if __name__ == "__main__":
    main()
