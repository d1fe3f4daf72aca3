"""Tests that run against a project: a step, final/, or a learner's own copy.

Run them with plain pytest, one project per process (harness/pytest_plugin.py
loads that project's own settings): `pytest --step 4`, `pytest --step final`,
`pytest --project DIR --step 4`. `make test` runs every project that way.
A test module names the feature it proves with `pytestmark = feature("...")`;
tests for features the project does not have are deselected, not skipped.

The tests speak to a project only through HTTP paths and the user model,
never by importing its modules, so they can check any project's layout.
"""

from pathlib import Path

import pytest

from harness.browser import launch
from harness.pytest_plugin import target
from support import DEMO, Api, LiveApi

FEATURES = target().features
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    selected, deselected = [], []
    for item in items:
        if not item.path.is_relative_to(HERE):
            selected.append(item)  # another folder's test, in the same run
            continue
        marker = item.get_closest_marker("feature")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid} names no feature")
        # A test may name several features: it runs where all of them are.
        wanted = all(name in FEATURES for name in marker.args)
        (selected if wanted else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture
def api(client):
    """An anonymous client."""
    return Api(client)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("user", password=DEMO["user"])


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password=DEMO["alice"])


@pytest.fixture
def as_user(client_class):
    """as_user(user) -> an Api logged in as that user, the project's way.

    With JWT authentication it logs in through POST /api/token/ and sends the
    access token; without it (step 03), it uses a Django session instead.
    """

    def login(user):
        client = client_class()
        if "jwt-auth" in FEATURES:
            tokens = Api(client).tokens(user.username, DEMO[user.username])
            return Api(client, tokens["access"])
        client.force_login(user)
        return Api(client)

    return login


@pytest.fixture
def client_class():
    from django.test import Client

    return Client


@pytest.fixture(scope="module")
def live():
    """The project's real server (threaded runserver, SQLite file), and a
    client of it: for the race tests."""
    from harness.server import Server

    with Server(target().project) as server:
        yield LiveApi(server)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (harness/browser.py), or the tests skip."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched, why = launch(playwright)
        if launched is None:
            pytest.skip(why)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def site():
    """The project's real server for a browser, and beside it the step's
    collector (steps 12 and 13), which the page's planted script posts to."""
    from harness.server import Collector, Server

    collector = None
    env = {}
    if "planted-script" in FEATURES:
        collector = Collector(target().project.path)
        env["ANALYTICS_URL"] = collector.url
    try:
        with Server(target().project, env) as server:
            server.collector = collector
            yield server
    finally:
        if collector is not None:
            collector.stop()


@pytest.fixture
def page(browser):
    """A new page in a fresh profile (no cookies, no storage). Any error
    the page's scripts throw fails the test."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, f"the page's scripts threw: {errors}"
