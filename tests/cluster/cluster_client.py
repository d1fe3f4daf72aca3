"""Clients of the cluster, for its tests: each one a machine of its own.

Every Client sends from its own loopback address (127.1.x.y: Linux answers
on all of 127/8), so each has its own throttle count, as real clients do:
the tests log in hundreds of times, a real client a few. It talks https to
nginx (`to=None`), or http straight to one instance, as nginx would.
"""

from __future__ import annotations

import http.client
import itertools
import json
import ssl
import threading

from harness.net import post_at_once

_numbers = itertools.count(1)
_lock = threading.Lock()

LOGIN, REFRESH = "/api/token/", "/api/token/refresh/"
LOGOUT, NOTES = "/api/token/blacklist/", "/api/notes/"


def new_address() -> str:
    with _lock:
        n = next(_numbers)
    return f"127.1.{n // 250 % 250}.{n % 250 + 1}"


class Answer:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        try:
            self.json = json.loads(body)
        except ValueError:
            self.json = {"raw": body[:300].decode(errors="replace")}

    @property
    def code(self):
        return self.json.get("code") if isinstance(self.json, dict) else None

    @property
    def served_by(self) -> str:
        return self.headers.get("X-Served-By", "")

    def __repr__(self):
        return f"<{self.status} {self.json!r:.200}>"


class Client:
    def __init__(self, cluster, address: str | None = None):
        self.cluster = cluster
        self.address = address or new_address()
        self.tls = ssl.create_default_context(cafile=str(cluster.certificate))

    def connection(self, to=None) -> http.client.HTTPConnection:
        source = (self.address, 0)
        if to is None:  # through nginx
            port = self.cluster.nginx.port
            return http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=10, context=self.tls, source_address=source
            )
        return http.client.HTTPConnection(
            "127.0.0.1", to.port, timeout=10, source_address=source
        )

    def request(self, method, path, data=None, *, token=None, to=None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if to is not None:
            headers["X-Forwarded-Proto"] = "https"  # as nginx says it
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps(data).encode() if data is not None else None
        connection = self.connection(to)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def post(self, path, data=None, **kwargs) -> Answer:
        return self.request("POST", path, data, **kwargs)

    def get(self, path, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def login(self, username="alice", password=None, to=None) -> dict:
        password = password or self.cluster.users[username]
        answer = self.post(LOGIN, {"username": username, "password": password}, to=to)
        assert answer.status == 200, answer
        return answer.json


def at_once(posts: list[tuple[Client, object, str, dict]], delays=None) -> list:
    """POST each (client, instance, path, json) at the same moment, straight
    to the instance, from the client's address: [(status, body), ...] in the
    order given (harness.net.post_at_once: 0 to 0.5 ms apart, unless
    `delays` says)."""
    return post_at_once(
        [
            (
                (("127.0.0.1", instance.port), (client.address, 0)),
                f"127.0.0.1:{instance.port}",
                path,
                data,
            )
            for client, instance, path, data in posts
        ],
        delays,
        headers="X-Forwarded-Proto: https\r\n",  # as nginx says it
    )
