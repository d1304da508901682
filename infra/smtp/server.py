"""A real SMTP submission server for mailferry's tests: aiosmtpd (PyPI, pinned by infra/install.sh) on a loopback
port, STARTTLS with the given certificate required before AUTH, AUTH PLAIN/LOGIN required before MAIL, one
user. Every accepted message is written to --dir as <n>.eml with its envelope in <n>.json. Prints one JSON line,
{"port": N}, once it listens; runs until killed.

    python infra/smtp/server.py --cert cert.pem --key key.pem --user U --password P --dir OUT
"""
import argparse
import json
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.out, f"{self.n:04d}")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "user": session.auth_data.login.decode() if session.auth_data else None,
                       "tls": session.ssl is not None}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == a.user.encode() \
            and auth_data.password == a.password.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)
    # aiosmtpd checks readiness by connecting to its port, so it needs a real one: take a free one first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Saver(a.dir), hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
                            authenticator=check, auth_required=True, auth_require_tls=True,
                            server_hostname="localhost")
    controller.start()
    print(json.dumps({"port": port}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
