"""The attacker's key finder, for chapter 6. Not part of the Django project.

    python3 steps/06-committed-secret/crack.py TOKEN WORDLIST

Tries every word of WORDLIST (one a line, # for comments) as the HS256 key
of TOKEN: the one whose HMAC of header.payload is the token's signature is
the server's key. Offline, with no server to notice, and with Python's
standard library only: no JWT library needed.
"""

import base64
import hashlib
import hmac
import sys

token, wordlist = sys.argv[1:3]
header, payload, signature = token.split(".")
signed = f"{header}.{payload}".encode()
expected = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
lines = open(wordlist, encoding="utf-8").read().splitlines()
words = [w for w in lines if w and not w.startswith("#")]
found = [
    w
    for w in words
    if hmac.compare_digest(
        hmac.new(w.encode(), signed, hashlib.sha256).digest(), expected
    )
]
print("key:", repr(found[0]) if found else "not in the list", end=" - ")
print(len(words), "guesses, checked offline")
