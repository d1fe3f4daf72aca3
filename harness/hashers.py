"""A quicker password hasher for the harness's throwaway servers.

Django's PBKDF2 hasher, with 1,000 iterations instead of Django's 1,000,000:
the same algorithm and the same stored format (pbkdf2_sha256$...), at a
thousandth of the cost. A notebook or docs server logs users in dozens of
times; a room of laptops should not wait for it. `make step-N` never uses
it: a step's own server keeps Django's default. Never use it in production.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1_000
