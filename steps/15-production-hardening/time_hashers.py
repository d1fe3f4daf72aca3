"""Chapter 15: how long a password check takes, PBKDF2 against Argon2id.

    cd steps/15-production-hardening
    ../../.venv/bin/python manage.py shell -v 0 < time_hashers.py

The fastest of 10 checks of each, in milliseconds, on this machine.
"""

import timeit

from django.contrib.auth.hashers import check_password, make_password


def fastest_check(hasher):
    hashed = make_password("pass", hasher=hasher)
    times = timeit.repeat(lambda: check_password("pass", hashed), number=1, repeat=10)
    return round(min(times) * 1000)


for hasher in ("pbkdf2_sha256", "argon2"):
    print(hasher, fastest_check(hasher), "ms")
