"""The auth service's public keys, as this service knows them.

This service fetches the key set (JWKS) from the auth service and keeps a
copy. The `kid` in a token's header says which key of the copy checks it.
The rules:

- A copy is fresh for JWKS_CACHE_SECONDS. The first token after that
  fetches the set again.
- A `kid` that the copy lacks (a key announced since) fetches the set at
  once, but no sooner than JWKS_REFETCH_SECONDS after the last fetch, so a
  stream of made-up `kid`s cannot make us flood the auth service.
- A fetch fails if the auth service is down, takes longer than TIMEOUT in
  all, or answers with anything but a key set. A failed fetch is tried
  again no sooner than RETRY_AFTER seconds later, however many tokens
  arrive. Meanwhile the old copy is still used, until it is twice
  JWKS_CACHE_SECONDS old. After that, every token is refused (401) until a
  fetch works.
- Only one request fetches at a time. While it fetches, the others carry on
  with the copy there is, and wait only when there is no copy at all.

simplejwt's JWK_URL would use PyJWT's PyJWKClient instead. That client holds
its lock while it fetches, so every request waits behind a slow auth
service. It fetches again for every request while the auth service fails,
and a bad answer raises errors that simplejwt turns into a 500.
"""

import base64
import http.client
import json
import logging
import socket
import threading
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

TIMEOUT = 2  # seconds for a whole fetch, from connecting to the last byte
RETRY_AFTER = 2  # seconds between two tries while fetching fails
LARGEST = 64 * 1024  # bytes: a key set is a few kilobytes
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


class KeySet:
    def __init__(self, url, fresh_for, refetch_after):
        self.url = url
        self.fresh_for = fresh_for
        self.refetch_after = refetch_after
        self.keys = {}  # {kid: public key}, from the last fetch that worked
        self.fetched_at = None  # when that fetch was, by time.monotonic()
        self.failed_at = None  # when the last fetch failed, if the last failed
        self.fetching = threading.Lock()

    def key(self, kid):
        """The public key that `kid` names, or None: refuse the token."""
        seen = (self.fetched_at, self.failed_at)
        if self.needs_fetch(kid):
            self.fetch(seen, wait=self.age() >= 2 * self.fresh_for)
        if self.age() >= 2 * self.fresh_for:
            return None  # no copy, or one too old to trust
        return self.keys.get(kid)

    def age(self):
        if self.fetched_at is None:
            return float("inf")
        return time.monotonic() - self.fetched_at

    def needs_fetch(self, kid):
        now = time.monotonic()
        if self.failed_at is not None:
            return now - self.failed_at >= RETRY_AFTER
        if self.age() >= self.fresh_for:
            return True
        return kid not in self.keys and self.age() >= self.refetch_after

    def fetch(self, seen, wait):
        """Fetch the set, unless another request has fetched it since we
        looked (`seen`) or is fetching it: then wait for that one if `wait`,
        or else go on with the copy we have."""
        if not self.fetching.acquire(timeout=TIMEOUT + 1 if wait else 0):
            return
        try:
            if (self.fetched_at, self.failed_at) != seen:
                return  # another request fetched meanwhile: use what it got
            attempt = time.monotonic()
            try:
                self.keys = self.download()
                self.fetched_at, self.failed_at = attempt, None
            except Exception as error:  # whatever it was: no keys from it
                self.failed_at = time.monotonic()
                log.warning("Cannot use the key set at %s: %r", self.url, error)
        finally:
            self.fetching.release()

    def download(self):
        """GET the key set, in TIMEOUT seconds at most: a timer cuts the
        connection when they are up, however slowly the answer trickles in.
        No proxy, no redirect: only the URL in our settings is asked."""
        where = urlsplit(self.url)
        kind = http.client.HTTPSConnection
        if where.scheme == "http":
            kind = http.client.HTTPConnection
        connection = kind(where.hostname, where.port, timeout=TIMEOUT)
        deadline = threading.Timer(TIMEOUT, cut, [connection])
        deadline.start()
        try:
            path = where.path + (f"?{where.query}" if where.query else "")
            connection.request("GET", path or "/")
            answer = connection.getresponse()
            if answer.status != 200:
                raise ValueError(f"the key set's URL answered {answer.status}")
            body = answer.read(LARGEST + 1)
        finally:
            deadline.cancel()
            connection.close()
        if len(body) > LARGEST:
            raise ValueError(f"the key set is larger than {LARGEST} bytes")
        return usable_keys(json.loads(body))


def cut(connection):
    """The deadline: whatever the fetch is waiting for, it stops waiting."""
    if connection.sock is not None:
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def usable_keys(published):
    """{kid: key} of a key set: the RSA signing keys for RS256 whose public
    numbers follow the auth service's rule (2048 to 8192 bits, a public
    exponent above 2**16). Anything else in the set is left out; a set with
    nothing usable is an error."""
    if isinstance(published, dict):
        published = published.get("keys")
    if not isinstance(published, list):
        raise ValueError('the answer has no list of "keys"')
    keys = {}
    for jwk in published:
        if not isinstance(jwk, dict) or PRIVATE_MEMBERS & set(jwk):
            continue  # never a private key, nor the work of loading one
        if not isinstance(jwk.get("kid"), str) or jwk.get("kty") != "RSA":
            continue
        if jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
            continue
        n, e = number(jwk.get("n")), number(jwk.get("e"))
        if n and e and 2048 <= n.bit_length() <= 8192 and 2**16 < e < 2**256:
            try:
                keys[jwk["kid"]] = rsa.RSAPublicNumbers(e, n).public_key()
            except ValueError:
                continue  # numbers that make no RSA key
    if not keys:
        raise ValueError("the key set holds no RSA key that we can use")
    return keys


def number(text):
    """A JWK number (unpadded base64url, big-endian), or None."""
    if not isinstance(text, str) or len(text) > 2048:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return int.from_bytes(raw, "big")
