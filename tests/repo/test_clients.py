"""The clients that steps ship (client.py), against their own step's server.

A 401 is forced by spoiling the access token (no waiting for it to expire):
the client must refresh and retry, again and again, with or without rotation.
"""

import importlib.util

import pytest

from harness.project import Project
from harness.registry import load
from harness.server import Server

REGISTRY = load()
WITH_CLIENT = [p for p in REGISTRY.projects if (p.path / "client.py").exists()]


def load_client(project):
    spec = importlib.util.spec_from_file_location(
        f"client_{project.folder}", project.path / "client.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "project",
    # Without rotation, with rotation and reuse detection, and final/.
    [REGISTRY.step(5), REGISTRY.step(10), REGISTRY.final],
    ids=lambda p: p.relpath,
)
def test_the_client_refreshes_on_401_every_time(project):
    client_module = load_client(project)
    with Server(Project.at(project.path)) as server:
        client = client_module.NotesClient(server.url)
        client.login("user", "pass")
        for expected_refreshes in (1, 2, 3):
            client.access = "spoiled"  # as good as expired: the server says 401
            response = client.get("/api/protected/")
            assert response.status_code == 200, response.text
            assert client.refreshes == expected_refreshes


def test_every_step_from_05_ships_the_same_client():
    """One client, copied whole into each step: a fix reaches every copy."""
    texts = {(p.path / "client.py").read_text() for p in WITH_CLIENT}
    assert len(WITH_CLIENT) >= 2 and len(texts) == 1
