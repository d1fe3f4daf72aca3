"""schemathesis and Hypothesis, for test_openapi.py's fuzzing: imported only
by the tests that fuzz, since importing them takes about a second, which
every project's test process would otherwise pay (most have no OpenAPI).
"""

import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from harness.registry import ROOT

__all__ = ["CHECKS", "MODES", "NOT_SET", "GenerationMode", "Unsatisfiable", "fuzz"]

# Hypothesis (schemathesis generates with it) keeps caches in a folder, by
# default .hypothesis/ where pytest runs: .cache/ instead, which git ignores.
set_hypothesis_home_dir(ROOT / ".cache" / "hypothesis")

# The fuzzing budget: so many generated requests per operation and mode,
# each run seeded the same way (derandomize), so a run is 225 requests, about 10 s
# and finds the same things every time; FUZZ_EXAMPLES=150 (with
# --timeout 0) tries harder: about 4,200 requests, 90 s here.
# Positive cases follow the description; negative ones break it (wrong
# types, missing fields or headers), which must be refused with a
# documented 4xx, never a 500.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 8))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,  # no 5xx
    status_code_conformance,  # every status code is documented
    content_type_conformance,  # ...in a documented media type
    response_schema_conformance,  # ...and the body matches its schema
]
# Excluded, and why:
# - schemathesis's other checks (positive_data_acceptance,
#   negative_data_rejection, missing_required_header, ignored_auth,
#   unsupported_method, use_after_free...): a description cannot say
#   everything a valid request needs (the right password, a live refresh
#   token, a CSRF token matching its cookie), nor every rule of DRF's
#   fields (a NUL character is refused, the number 0 is taken as the text
#   "0"), so "valid by the schema but refused" and the reverse are normal
#   here; and 405s are DRF's, not ours.
# - negative cases for GET /api/hello/: there are none (no parameter, no
#   body, no credentials read), which the loop checks rather than skips.
# - no operation is excluded. Log out everywhere ends the token's session,
#   and the password change could end them all: each operation gets a
#   fresh login, so none spoils the next.
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,  # no examples saved from one run to the next
    deadline=None,  # a real server: the first request of a run is slower
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def operations(url: str) -> dict:
    """The description at `url`, loaded by schemathesis: its operations, by
    label ("POST /api/token/")."""
    schema = schemathesis.openapi.from_url(url)
    # schemathesis leaves out the operation that served the description
    # unless a filter names it: name every path, so GET /api/schema/ (its
    # format and lang parameters) is fuzzed too.
    schema = schema.include(path_regex="^/")
    return {result.ok().label: result.ok() for result in schema.get_all_operations()}


def fuzz(operation, mode, headers, cookies, sent):
    """Run schemathesis's cases for one operation and mode, counting each
    request in `sent`; raise what the checks find."""

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        sent.append(operation.label)
        case.call_and_validate(
            headers=headers,
            cookies=cookies,
            checks=CHECKS,
            timeout=10,
        )

    run()
