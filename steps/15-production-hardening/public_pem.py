"""Chapter 14: the key set's first public key, as PEM. Not part of the project.

    curl -s $API/.well-known/jwks.json | .venv/bin/python public_pem.py

What anyone can do with the published key set (with PyJWT, which reads a
JWK): PEM is the form most code reads a key in, and what the attacker of
chapter 14 tries as an HMAC secret.
"""

import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization

key = jwt.PyJWK(json.load(sys.stdin)["keys"][0]).key
pem = key.public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
print(pem.decode())
