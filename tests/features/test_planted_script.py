"""Steps 12 and 13: the page loads a planted "third-party" script.

It stands in for a compromised library (or any XSS): it reads what a script
on the page can read and sends it to the attacker's collector. These tests
prove the stand-in works, so that "it found nothing" (step 13) means there
was nothing to find, not that the script never ran.
"""

import re

from chromium import JWT_PATTERN, log_in
from support import feature

pytestmark = feature("planted-script")


def test_the_collector_hears_from_the_page_as_soon_as_it_loads(page, site):
    """The planted script reports to the collector as soon as the page loads."""
    page.goto(site.url + "/")
    report = site.collector.wait_for(lambda r: r["page"] == site.url)
    assert set(report) == {
        "page",
        "localStorage",
        "sessionStorage",
        "cookie",
        "globals",
    }


@feature("planted-script", "cookie-flow")
def test_with_the_cookie_flow_the_script_finds_no_token(page, site):
    """With the cookie flow, nothing the planted script sent (before or after login, or
    after a silent refresh) holds a token.
    """
    log_in(page, site.url)
    page.reload()  # the silent refresh: a new access token, in memory
    page.wait_for_selector("#notes:not([hidden])")
    page.wait_for_timeout(600)  # the script looks every 500 ms
    reports = site.collector.reports()
    assert reports, site.collector.output()
    for report in reports:
        assert not re.search(JWT_PATTERN, str(report)), report
    refresh = {c["name"]: c["value"] for c in page.context.cookies()}["refresh_token"]
    assert refresh not in site.collector.output()
