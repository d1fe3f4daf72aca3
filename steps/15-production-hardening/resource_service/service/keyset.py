"""The auth service's public keys, as this service knows them.

This service fetches the key set (JWKS) from the auth service and keeps a
copy. The `kid` in a token's header says which key of the copy checks it.
The rules:

- A copy is fresh for JWKS_CACHE_SECONDS. The first token after that
  fetches the set again.
- A `kid` that the copy lacks (a key announced since) fetches the set at
  once, but no sooner than JWKS_REFETCH_SECONDS after the last fetch, so a
  stream of made-up `kid`s cannot make us flood the auth service.
- A fetch fails if the auth service is down, takes longer than TIMEOUT, or
  answers with something that is not a key set. A failed fetch is tried
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

import json
import logging
import threading
import time
import urllib.request

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

TIMEOUT = 2  # seconds to wait for the auth service's answer
RETRY_AFTER = 2  # seconds between two tries while fetching fails
LARGEST = 64 * 1024  # bytes: a key set is a few kilobytes


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the key set is at JWK_URL, not wherever it points


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
        if self.needs_fetch(kid):
            self.fetch(wait=self.age() >= 2 * self.fresh_for)
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

    def fetch(self, wait):
        """Fetch the set, unless another request is fetching it: then wait
        for that one if `wait`, or else go on with the copy we have."""
        before = (self.fetched_at, self.failed_at)
        if not self.fetching.acquire(timeout=TIMEOUT + 1 if wait else 0):
            return
        try:
            if (self.fetched_at, self.failed_at) != before:
                return  # another request fetched while we waited: use that
            attempt = time.monotonic()
            try:
                self.keys = self.download()
                self.fetched_at, self.failed_at = attempt, None
            except (OSError, ValueError, jwt.PyJWTError) as error:
                self.failed_at = attempt
                log.warning("Cannot use the key set at %s: %s", self.url, error)
        finally:
            self.fetching.release()

    def download(self):
        """{kid: key} from the auth service's key set: only RSA keys of
        2048 bits or more, for signing with RS256. Anything else in the
        set is left out; a set with nothing usable is an error."""
        opener = urllib.request.build_opener(NoRedirects)
        with opener.open(self.url, timeout=TIMEOUT) as answer:
            body = answer.read(LARGEST + 1)
        if len(body) > LARGEST:
            raise ValueError(f"the key set is larger than {LARGEST} bytes")
        published = json.loads(body)  # a ValueError if it is not JSON
        if isinstance(published, dict):
            published = published.get("keys")
        if not isinstance(published, list):
            raise ValueError('the answer has no list of "keys"')
        keys = {}
        for jwk in published:
            if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                continue
            if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
                continue
            if jwk.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(jwk, algorithm="RS256").key
            except (jwt.PyJWTError, ValueError, TypeError):
                continue  # not a key PyJWT can read
            if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
                keys[jwk["kid"]] = key
        if not keys:
            raise ValueError("the key set holds no RSA key that we can use")
        return keys
