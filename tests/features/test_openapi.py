"""Step 15 on: the API describes itself, in OpenAPI 3, and keeps its word.

GET /api/schema/ is the description (drf-spectacular) and GET /api/docs/
Swagger UI, both public, with every script and style served from here. The
description is generated without a warning, has the bearer scheme that
Swagger's "Authorize" takes, and the one error shape on every error answer.
Then schemathesis fuzzes every operation of a real server from that same
description, logged in: no answer may be a 5xx, nor have a status code, a
media type or a body that the description does not list.
"""

import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from harness.project import Project
from harness.server import Server
from support import DEMO, PROJECT, SETTINGS, STRONG, assert_status, feature, outside_env

pytestmark = feature("openapi")

JSON = {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}


def test_the_schema_is_generated_without_a_warning(tmp_path):
    """`manage.py spectacular --fail-on-warn --validate`: every view is
    described (no guessed serializer, no unknown authentication class), and
    the result is valid OpenAPI 3."""
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--fail-on-warn",
            "--validate",
            "--file",
            str(tmp_path / "schema.yml"),
        ],
        cwd=PROJECT,
        env={
            **outside_env(),
            **STRONG,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DJANGO_ENV": "development",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.")


@pytest.fixture
def schema(api):
    answer = api.client.get("/api/schema/", **JSON)
    assert_status(answer, 200)
    return answer.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


@pytest.mark.django_db
def test_the_schema_and_the_docs_are_public(api):
    """No credentials needed, and bad ones are not even read: like hello,
    the description answers a stale or broken token too."""
    for authorization in (None, "Bearer x.y.z"):
        sent = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
        assert_status(api.client.get("/api/schema/", **JSON, **sent), 200)
        docs = api.get("/api/docs/", authorization=authorization)
        assert_status(docs, 200)
        assert docs["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_bearer_tokens_are_the_security_scheme(schema):
    """The scheme is HTTP bearer (so Swagger's "Authorize" takes an access
    token); protected operations require it, public ones do not."""
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"} in (
        schemes.values()
    ), schemes
    (name,) = schemes
    described = dict(operations(schema))
    for label in ("GET /api/notes/", "POST /api/notes/", "GET /api/protected/"):
        assert described[label]["security"] == [{name: []}], label
    assert described["GET /api/hello/"]["security"] == [{}]  # anyone
    assert "security" not in described["POST /api/token/"]  # how you get one


@pytest.mark.django_db
def test_every_error_answer_has_the_one_error_shape(schema):
    """Each 4xx answer of each operation is the Error component: `detail`
    and `code` always, `errors` for validation errors; and what can fail
    says so (a bad token 401, a throttled login 429, a bad page 404...)."""
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}
    assert "errors" in error["properties"]
    described = dict(operations(schema))
    for label, operation in described.items():
        for status, answer in operation["responses"].items():
            if status.startswith("4"):
                body = answer["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (label, status)
    expected = {
        "POST /api/token/": {"400", "401", "413", "415", "429"},
        "POST /api/password/": {"400", "401", "429"},
        "GET /api/notes/": {"401", "404"},
        "GET /api/staff/": {"401", "403"},
        "POST /api/browser/refresh/": {"401", "403", "429"},
    }
    for label, statuses in expected.items():
        assert statuses <= set(described[label]["responses"]), label


class Assets(HTMLParser):
    """Every script, style sheet and icon a page loads: its src or href."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.urls.append(attrs["src"])


@pytest.fixture(scope="module")
def live():
    """A real server of the project (throttles off: the fuzzer logs in often)."""
    with Server(Project.at(PROJECT)) as server:
        yield server


def test_swagger_ui_loads_nothing_from_another_host(live):
    """GET /api/docs/ is Swagger UI: its scripts and styles all come from
    this server (drf-spectacular-sidecar), each answers 200, and the page
    reads its description from /api/schema/."""
    page = requests.get(live.url + "/api/docs/", timeout=10)
    assert page.status_code == 200, page.text[:300]
    parser = Assets()
    parser.feed(page.text)
    assert len(parser.urls) >= 3, parser.urls  # a style, two scripts, an icon
    assert any("swagger-ui-bundle" in url for url in parser.urls), parser.urls
    here = urlsplit(live.url).netloc
    for url in parser.urls:
        absolute = urljoin(page.url, url)
        assert urlsplit(absolute).netloc == here, f"{url} comes from another host"
        asset = requests.get(absolute, timeout=10)
        assert asset.status_code == 200, f"{url}: {asset.status_code}"
    for cdn in ("//cdn.", "jsdelivr", "unpkg", "cdnjs"):
        assert cdn not in page.text, cdn
    assert "/api/schema/" in page.text
    assert '"persistAuthorization": true' in page.text  # a reload keeps the token


CSRF = "c" * 32  # Django's CSRF check: the header equals the csrftoken cookie


def logged_in(server):
    """Fresh credentials for one operation: an access token for the
    Authorization header, and a browser login's refresh cookie."""
    login = {"username": "user", "password": DEMO["user"]}
    answer = requests.post(server.url + "/api/token/", json=login, timeout=10)
    assert answer.status_code == 200, answer.text
    browser = requests.post(
        server.url + "/api/browser/login/",
        json=login,
        headers={"X-CSRFToken": CSRF},
        cookies={"csrftoken": CSRF},
        timeout=10,
    )
    assert browser.status_code == 200, browser.text
    headers = {
        "Authorization": f"Bearer {answer.json()['access']}",
        "X-CSRFToken": CSRF,
    }
    cookies = {"csrftoken": CSRF, "refresh_token": browser.cookies["refresh_token"]}
    return headers, cookies


@pytest.fixture(scope="module")
def described(live):
    """The server's own description, loaded by schemathesis: its operations."""
    from fuzzing import operations

    return operations(live.url + "/api/schema/")


def refresh_cookie(answer):
    """The refresh_token cookie that a schemathesis Response sets."""
    sent = " ".join(answer.headers.get("set-cookie", []))
    found = re.search(r"refresh_token=([^;,\s]+)", sent)
    assert found, sent
    return found.group(1)


def test_every_success_answer_matches_the_description(live, described):
    """What the fuzzer cannot reach (the right password, a live refresh
    token, a staff account, the CSRF token), sent by hand, then checked by
    the same checks: each operation's success answer, and a 413."""
    from fuzzing import CHECKS, NOT_SET

    def send(label, status, body=None, token=None, cookies=None):
        headers = {"X-CSRFToken": CSRF}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        case = described[label].Case(
            body=body if body is not None else NOT_SET,
            media_type="application/json" if body is not None else None,
            headers=headers,
            cookies={"csrftoken": CSRF, **(cookies or {})},
        )
        answer = case.call_and_validate(checks=CHECKS, timeout=10)
        assert answer.status_code == status, f"{label}: {answer.text[:300]}"
        return answer

    def credentials(name):
        return {"username": name, "password": DEMO[name]}

    def login(name):
        return send("POST /api/token/", 200, credentials(name)).json()

    tokens = login("user")
    access = tokens["access"]
    send("GET /api/hello/", 200)
    send("GET /api/schema/", 200)
    send("GET /api/protected/", 200, token=access)
    send("POST /api/notes/", 201, {"title": "t", "body": "b"}, token=access)
    send("POST /api/notes/", 413, {"title": "t", "body": "b" * 70_000}, token=access)
    send("GET /api/notes/", 200, token=access)
    send("POST /api/token/verify/", 200, {"token": access})
    refreshed = send("POST /api/token/refresh/", 200, {"refresh": tokens["refresh"]})
    send("POST /api/token/blacklist/", 200, {"refresh": refreshed.json()["refresh"]})

    browser = send("POST /api/browser/login/", 200, credentials("user"))
    cookie = {"refresh_token": refresh_cookie(browser)}
    refreshed = send("POST /api/browser/refresh/", 200, cookies=cookie)
    cookie = {"refresh_token": refresh_cookie(refreshed)}
    send("POST /api/browser/logout/", 200, cookies=cookie)

    staff = login("alice")["access"]
    send("GET /api/staff/", 200, token=staff)
    new = {"old_password": DEMO["alice"], "new_password": "a much better passphrase"}
    send("POST /api/password/", 200, new, token=staff)
    send("POST /api/logout-all/", 204, token=login("user")["access"])


def nothing_to_break(operation):
    described = operation.definition.raw
    return (
        not described.get("parameters")
        and "requestBody" not in described
        and described.get("security", [{}]) == [{}]
    )


def test_fuzzing_every_operation_finds_no_500_and_nothing_undocumented(live, described):
    """schemathesis, from the server's own /api/schema/: every operation,
    positive and negative cases, MAX_EXAMPLES of each, logged in as user.
    Every failure is collected, so one run reports them all."""
    from fuzzing import MODES, GenerationMode, Unsatisfiable, fuzz

    found = list(described.values())
    assert len(found) >= 15, [operation.label for operation in found]
    failures, sent, started = [], [], time.monotonic()
    for operation in found:
        for mode in MODES:
            headers, cookies = logged_in(live)
            try:
                fuzz(operation, mode, headers, cookies, sent)
            except Unsatisfiable:
                # No negative case exists: nothing to break (GET /api/hello/
                # has no parameter, no body, and reads no credentials).
                assert mode is GenerationMode.NEGATIVE, operation.label
                assert nothing_to_break(operation), operation.label
            # Every operation's failures, not the first one's only
            # (schemathesis's FailureGroup is a BaseExceptionGroup).
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} ({mode.value}): {error}")
    took = time.monotonic() - started
    assert not failures, "\n\n".join(failures)
    assert set(sent) == {operation.label for operation in found}
    print(f"schemathesis: {len(sent)} requests in {took:.1f} s")
