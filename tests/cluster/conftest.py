"""The cluster lane: final/ as two gunicorn instances behind nginx, on one
PostgreSQL and one Redis (harness/cluster.py), started once for these tests.

Without postgresql, redis-server or nginx every test here is skipped, with
the line that says how to install them, and counted as skipped."""

import pytest

from harness import cluster as harness_cluster

USERS = {
    "alice": "wonderland-1",
    "bob": "builder-22",
    "carol": "singer-333",
    "dave": "diver-4444",
    "erin": "runner-55555",
}

WHY_NOT = harness_cluster.missing()


def pytest_collection_modifyitems(config, items):
    if WHY_NOT:
        skip = pytest.mark.skip(reason=WHY_NOT)
        for item in items:
            if "tests/cluster" in item.nodeid:
                item.add_marker(skip)


def pytest_report_header(config):
    if WHY_NOT:
        return f"SKIPPING THE CLUSTER LANE: {WHY_NOT}"
    return None


@pytest.fixture(scope="session")
def cluster():
    """Started once: about 7 s (PostgreSQL's initdb, migrations, two
    instances of two workers each, nginx). The tests' passwords hash with the
    harness's quicker PBKDF2; everything else is final/'s production mode."""
    with harness_cluster.Cluster(users=USERS, quick_hasher=True) as running:
        running.users = USERS
        yield running
