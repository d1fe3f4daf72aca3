"""Ports, readiness and an HTTP client: written once, for every server we start.

The rules: bind 127.0.0.1 on a free port, wait for a real HTTP answer (never
a fixed sleep), and give every request a timeout, so nothing can hang.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import requests

TIMEOUT = 10  # seconds, for any one request


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


LOOPBACK = ("127.0.0.1", "localhost", "::1")
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 (HOST=0.0.0.0: a server for a room)


def room_address() -> str:
    """The address other machines most likely reach this one at: the one a
    packet to the outside would leave from (a UDP "connect" sends nothing).
    127.0.0.1 on a machine with no route out."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never answered
            return sock.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def address_of(host: str) -> str:
    """Where other machines connect to a server listening on `host`: the
    room's address of this machine for every interface, else `host`."""
    return room_address() if host in (EVERY_INTERFACE, "::") else host


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) != 0


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer (production's http -> https, say)


_NO_REDIRECTS = urllib.request.build_opener(_Stay)


def wait_for_http(
    url: str, timeout: float = 30.0, alive: Callable[[], bool] = lambda: True
) -> float:
    """Wait until `url` answers any HTTP status; return how long it took.

    `alive` says whether the process that should answer is still running:
    when it stops, waiting stops too (RuntimeError), instead of timing out.
    """
    started = time.monotonic()
    delay = 0.02
    while time.monotonic() - started < timeout:
        if not alive():
            raise RuntimeError(f"the server for {url} exited before it answered")
        try:
            _NO_REDIRECTS.open(url, timeout=2).close()
            return time.monotonic() - started
        except urllib.error.HTTPError:
            return time.monotonic() - started  # it answered: it is up
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
    raise TimeoutError(f"no answer from {url} in {timeout:.0f}s")


class Client(requests.Session):
    """A requests session for one server: paths are relative to its base URL,
    and every request has a timeout. Notebooks and tests both use it."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", TIMEOUT)
        response = super().request(method, url, *args, **kwargs)
        # A new connection for every request. Kept alive, a connection to
        # runserver waits about 40 ms per request (its answer goes out in two
        # small writes, and TCP holds the second back until the client
        # acknowledges the first, which it delays): 5 ms becomes 45.
        for adapter in self.adapters.values():
            adapter.close()  # (not self.close(): a notebook's stops its server)
        return response


def post_at_once(posts: list[tuple], delays=None, headers: str = "") -> list:
    """POST each (address, host header, path, json) at the same moment:
    [(status, body), ...] in the order given. `address` is what
    socket.create_connection takes: ((host, port), source address or None);
    `headers`, more header lines ("Name: value\r\n") for every request.

    Every request gets its own connection, opened first; then one thread
    sends them all, the i-th `delays[i]` seconds after the first moment (by
    default: in a random order, a random 0 to 0.5 ms apart). Sending from one
    thread keeps such offsets exact: client threads would add the GIL's
    milliseconds.
    """
    import json
    import random

    if delays is None:
        delays = [random.uniform(0, 0.0005) for _ in posts]  # noqa: S311 (timing, not secrets)
    sockets, wires = [], []
    for (where, source), host, path, data in posts:
        sockets.append(
            socket.create_connection(where, timeout=TIMEOUT, source_address=source)
        )
        body = json.dumps(data).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\n{headers}"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        wires.append(head.encode() + body)
    began = time.perf_counter()
    for delay, index in sorted(zip(delays, range(len(posts)), strict=True)):
        while time.perf_counter() - began < delay:
            pass  # a busy wait: sleep() cannot wait a tenth of a millisecond
        sockets[index].sendall(wires[index])
    answers = []
    for sock in sockets:
        with sock:
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        try:
            answers.append((status, json.loads(body)))
        except ValueError:
            answers.append((status, body[:300]))
    return answers
