"""The cost bench's settings (harness/costs.py): final/'s own, through
harness.settings, and one more URL, served only here (harness/bench_urls.py).

final/'s shipped URLs stay as they are: the bench's extra view lives in the
harness and is loaded by the bench alone.
"""

from harness.settings import *  # noqa: F403 (final/'s settings, as the tests run them)

ROOT_URLCONF = "harness.bench_urls"

# The resource service fetches final/'s key set from 127.0.0.1 over plain
# http (deployed, it would go through the https proxy, which says so in
# X-Forwarded-Proto): let that one path answer instead of redirecting. It is
# fetched once per JWKS_CACHE_SECONDS, so no timed request goes through here.
SECURE_REDIRECT_EXEMPT = [r"^\.well-known/jwks\.json$"]
