"""final/ scaled out: what one instance does, the other honours at once.

Any instance can check an access token alone; everything stateful (sessions
and the blacklist in PostgreSQL, throttle counts in Redis) is shared, or the
second instance would undo the first's security. Each test attacks that, or
breaks a part (an instance killed, Redis stopped, PostgreSQL restarted) and
checks that nothing is lost and nothing answers 500.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cluster_client import LOGIN, LOGOUT, NOTES, REFRESH, Answer, Client, at_once

from harness.cluster import Instance, Nginx

GRACE = 2  # seconds: final/'s JWT_REFRESH_GRACE
CUT = 0  # the status the tests give an answer cut short
ATTEMPTS = 100  # the replay race, one request on each instance
UNSHARED_TRIES = 24  # failed logins, with each instance counting alone


def test_a_token_from_one_instance_works_on_the_other(cluster):
    a, b = cluster.instances
    client = Client(cluster)
    tokens = client.login(to=a)
    made = client.post(
        NOTES, {"title": "from A", "body": "x"}, token=tokens["access"], to=a
    )
    assert made.status == 201, made
    listed = client.get(NOTES, token=tokens["access"], to=b)
    assert listed.status == 200, listed
    assert "from A" in [note["title"] for note in listed.json["results"]]
    refreshed = client.post(REFRESH, {"refresh": tokens["refresh"]}, to=b)
    assert refreshed.status == 200, refreshed
    # and the rotated-out token is dead on A too
    again = client.post(REFRESH, {"refresh": tokens["refresh"]}, to=a)
    assert again.status == 401, again


def test_nginx_spreads_requests_over_both_instances(cluster):
    client = Client(cluster)
    served = {client.get("/api/hello/").served_by for _ in range(6)}
    assert served == {f"127.0.0.1:{i.port}" for i in cluster.instances}


def _refused_on(client, tokens, instance):
    access = client.get(NOTES, token=tokens["access"], to=instance)
    refresh = client.post(REFRESH, {"refresh": tokens["refresh"]}, to=instance)
    return access.status, access.code, refresh.status


def test_a_logout_on_one_instance_is_honoured_by_the_other_at_once(cluster):
    a, b = cluster.instances
    client = Client(cluster)
    tokens = client.login("bob", to=a)
    assert client.post(LOGOUT, {"refresh": tokens["refresh"]}, to=a).status == 200
    assert _refused_on(client, tokens, b) == (401, "session_ended", 401)


def test_log_out_everywhere_on_one_instance_ends_every_session_on_the_other(cluster):
    a, b = cluster.instances
    client = Client(cluster)
    phone, laptop = client.login("carol", to=a), client.login("carol", to=b)
    ended = client.post("/api/logout-all/", token=phone["access"], to=a)
    assert ended.status in (200, 204), ended
    for tokens in (phone, laptop):
        assert _refused_on(client, tokens, b) == (401, "session_ended", 401)


def test_a_password_change_on_one_instance_is_honoured_by_the_other(cluster):
    a, b = cluster.instances
    client = Client(cluster)
    old = client.login("dave", to=b)
    new_password = "a-new-one-for-dave-4"
    changed = client.post(
        "/api/password/",
        {"old_password": cluster.users["dave"], "new_password": new_password},
        token=old["access"],
        to=a,
    )
    assert changed.status in (200, 204), changed
    cluster.users["dave"] = new_password
    status, _, refresh_status = _refused_on(client, old, b)
    assert (status, refresh_status) == (401, 401)
    assert client.login("dave", to=b)  # the new password works there


def test_a_token_replayed_on_the_other_instance_ends_its_session(cluster):
    """Reuse detection across instances: R1 is rotated on A; later a copy of
    R1 comes back to B. B sees that A used it up, and ends the session:
    R2, which A issued, is refused on A."""
    a, b = cluster.instances
    client = Client(cluster)
    first = client.login("erin", to=a)["refresh"]
    second = client.post(REFRESH, {"refresh": first}, to=a).json["refresh"]
    time.sleep(GRACE + 0.1)
    assert client.post(REFRESH, {"refresh": first}, to=b).status == 401
    assert client.post(REFRESH, {"refresh": second}, to=a).status == 401


def test_a_replay_racing_a_refresh_on_the_other_instance_leaves_no_live_token(cluster):
    """The thief's race, split over the instances: R1 (used up) is replayed
    on one instance while R2 is refreshed on the other, at the same moment
    (0 to 0.5 ms apart, or the replay up to 25 ms into the refresh), which
    instance gets which alternating. PostgreSQL decides; no token survives."""
    a, b = cluster.instances

    def rotated_once(attempt):
        client = Client(cluster)  # its own address: its own throttle count
        first = client.login(to=(a, b)[attempt % 2])["refresh"]
        second = client.post(REFRESH, {"refresh": first}).json["refresh"]
        return client, first, second

    with ThreadPoolExecutor(4) as pool:  # one per gunicorn worker
        pairs = list(pool.map(rotated_once, range(ATTEMPTS)))
    time.sleep(GRACE + 0.1)
    survivors, issued = [], 0
    for attempt, (client, first, second) in enumerate(pairs):
        replay_on, refresh_on = (a, b) if attempt % 2 else (b, a)
        late = (attempt // 2) % 2 and [random.uniform(0, 0.025), 0]
        answers = at_once(
            [
                (client, replay_on, REFRESH, {"refresh": first}),
                (client, refresh_on, REFRESH, {"refresh": second}),
            ],
            delays=late or None,
        )
        assert all(status in (200, 401) for status, _ in answers), answers
        assert answers[0][0] == 401, "the used-up token was accepted"
        if answers[1][0] == 200:
            issued += 1
            token = answers[1][1]["refresh"]
            if client.post(REFRESH, {"refresh": token}).status == 200:
                survivors.append(token)
    assert survivors == [], (
        f"{len(survivors)} of {ATTEMPTS} sessions outlived the replay "
        f"({issued} refreshes got a new token before the session ended)"
    )


def _failed_logins(client, count, to=None, instances=None):
    """`count` logins with a wrong password, one after another, sent in
    turn to each of `instances` (or through nginx): their statuses."""
    statuses = []
    for i in range(count):
        target = instances[i % len(instances)] if instances else to
        answer = client.post(
            LOGIN, {"username": "alice", "password": "guess"}, to=target
        )
        statuses.append(answer.status)
    return statuses


def test_the_login_throttle_counts_across_instances(cluster):
    """5 logins a minute per client in all, not 5 per instance: through
    nginx (round robin) the 6th is refused, whichever instance gets it."""
    statuses = _failed_logins(Client(cluster), 8)
    assert statuses == [401] * 5 + [429] * 3, statuses
    # And sent straight to the instances in turn, the same.
    statuses = _failed_logins(Client(cluster), 8, instances=cluster.instances)
    assert statuses == [401] * 5 + [429] * 3, statuses


def test_without_a_shared_cache_each_process_allows_the_whole_rate(cluster):
    """The mistake the shared cache prevents: two instances counting in
    local memory (two workers each) let a client try far more than 5."""
    env = {k: v for k, v in cluster.env.items() if k != "REDIS_URL"}
    alone = [Instance(name, env, cluster.folder) for name in ("C", "D")]
    try:
        for instance in alone:
            instance.start()
        statuses = _failed_logins(Client(cluster), UNSHARED_TRIES, instances=alone)
    finally:
        for instance in alone:
            instance.stop()
    allowed = statuses.count(401)
    assert allowed > 5, f"only {allowed} of {UNSHARED_TRIES} got through: {statuses}"
    assert set(statuses) <= {401, 429}, statuses


def test_concurrent_logins_across_instances_get_at_most_the_rate(cluster):
    """Twenty wrong-password logins from one client at the same moment, ten
    on each instance: the count in Redis lets through at most 5."""
    client = Client(cluster)
    a, b = cluster.instances
    data = {"username": "alice", "password": "guess"}
    posts = [(client, (a, b)[i % 2], LOGIN, data) for i in range(20)]
    statuses = [status for status, _ in at_once(posts)]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 5, f"{statuses.count(401)} of 20 got through"


class Traffic:
    """Clients logging in and refreshing through nginx, in threads, until
    stopped: every answer kept, and every refresh token's uses counted."""

    def __init__(self, cluster, clients=4):
        self.cluster = cluster
        self.answers: list[tuple[float, str, int, str]] = []  # when, what, status, by
        self.accepted: dict[str, int] = {}  # refresh token -> 200s it got
        self.latest: list[str] = []  # each client's live refresh token at the end
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run) for _ in range(clients)]
        self.lock = threading.Lock()

    def note(self, what, answer):
        with self.lock:
            self.answers.append(
                (time.monotonic(), what, answer.status, answer.served_by, answer.code)
            )

    def post(self, client, path, data):
        """An answer, or CUT (status 0) for one cut short: when the instance
        dies between the headers and the body, nginx has passed a 200 on
        already, and the body never comes."""
        try:
            return client.post(path, data)
        except (http.client.HTTPException, ConnectionError):
            return Answer(CUT, {}, b"{}")

    def run(self):
        while not self.stopping.is_set():
            # A client logs in, then refreshes 10 times (under the refresh
            # rate, 30 a minute), and gives way to the next client.
            client = Client(self.cluster)
            login = self.post(
                client,
                LOGIN,
                {"username": "alice", "password": self.cluster.users["alice"]},
            )
            self.note("login", login)
            if login.status != 200:
                continue
            refresh, uses = login.json["refresh"], 0
            while uses < 10 and not self.stopping.is_set():
                answer = self.post(client, REFRESH, {"refresh": refresh})
                self.note("refresh", answer)
                if answer.status in (502, CUT):
                    # Sent, and the instance died before it answered: it may
                    # have used the token up. Send the same one again: a 401
                    # means it did (within the grace window, so no alarm),
                    # and this client must log in again.
                    continue
                if answer.status != 200:
                    refresh = None
                    break
                with self.lock:
                    self.accepted[refresh] = self.accepted.get(refresh, 0) + 1
                refresh, uses = answer.json["refresh"], uses + 1
                time.sleep(0.01)
            if refresh is not None:
                with self.lock:
                    self.latest.append(refresh)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=20)


def test_an_instance_killed_mid_traffic_loses_nothing_and_rejoins(cluster):
    a, b = cluster.instances
    a_address = f"127.0.0.1:{a.port}"
    with Traffic(cluster) as traffic:
        time.sleep(1.0)
        killed_at = time.monotonic()
        a.kill()  # SIGKILL: master and workers, no goodbye
        time.sleep(1.5)
        a.start()  # the same port: nginx tries it again after fail_timeout
        restarted_at = time.monotonic()
        time.sleep(1.0)
    statuses = [status for _, _, status, *_ in traffic.answers]
    odd = [a for a in traffic.answers if a[2] in (500, 503)]
    assert not odd, odd
    assert set(statuses) <= {200, 401, 502, CUT}, sorted(set(statuses))
    # Only requests caught in flight on A are lost: one per client at most.
    lost = statuses.count(502) + statuses.count(CUT)
    assert lost <= len(traffic.threads), lost
    after_kill = [
        s for when, _, s, *_ in traffic.answers if killed_at < when < restarted_at
    ]
    assert after_kill.count(200) >= 10, "B did not carry the traffic"
    # Every client's last refresh token works; every token used before it
    # is refused, sent again now: none can be accepted twice.
    # (Each from a client of its own: one client would meet the refresh rate.)
    for token in traffic.latest:
        assert Client(cluster).post(REFRESH, {"refresh": token}).status == 200
    used = random.sample(sorted(traffic.accepted), min(60, len(traffic.accepted)))
    again = [Client(cluster).post(REFRESH, {"refresh": t}).status for t in used]
    assert again == [401] * len(used), again
    # A rejoins: nginx sends it requests again.
    client = Client(cluster)
    deadline = time.monotonic() + 10
    while a_address not in client.get("/api/hello/").served_by:
        assert time.monotonic() < deadline, "instance A never got a request again"
        time.sleep(0.2)


def test_without_redis_throttled_views_refuse_with_503_and_recover(cluster):
    """Fail closed: with Redis down, logins, refreshes and password changes
    (the throttled views) answer 503 throttle_unavailable with Retry-After,
    never 500, and never unthrottled; the rest of the API works."""
    client = Client(cluster)
    tokens = client.login()
    cluster.redis.stop()
    try:
        login = client.post(
            LOGIN, {"username": "alice", "password": cluster.users["alice"]}
        )
        refresh = client.post(REFRESH, {"refresh": tokens["refresh"]})
        for answer in (login, refresh):
            assert answer.status == 503, answer
            assert answer.code == "throttle_unavailable"
            assert answer.headers["Retry-After"] == "5"
        assert client.get(NOTES, token=tokens["access"]).status == 200
    finally:
        cluster.redis.start()
    # Back: the refresh token that was refused is still good (nothing used it).
    assert client.post(REFRESH, {"refresh": tokens["refresh"]}).status == 200
    assert client.login()


def test_a_postgresql_restart_under_load_gives_no_500_once_it_is_back(cluster):
    """While PostgreSQL restarts, requests get 503 database_unavailable (or
    succeed); once it is back, every instance's kept connections are checked
    before use (CONN_HEALTH_CHECKS) and every request succeeds."""
    client = Client(cluster)
    tokens = client.login()
    answers, stopping = [], threading.Event()

    def read_notes():
        reader = Client(cluster)
        while not stopping.is_set():
            answers.append(
                (time.monotonic(), reader.get(NOTES, token=tokens["access"]))
            )

    threads = [threading.Thread(target=read_notes) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        cluster.postgres.restart()
        back = time.monotonic()
        time.sleep(1.5)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=20)
    during = [a for when, a in answers if when < back]
    after = [a for when, a in answers if when >= back + 0.2]
    assert {a.status for a in during} <= {200, 503}, during
    assert any(a.status == 503 for a in during), "the restart went unnoticed: no test"
    assert all(a.code == "database_unavailable" for a in during if a.status == 503)
    assert after and {a.status for a in after} == {200}, [
        a for a in after if a.status != 200
    ]


@pytest.mark.parametrize("path", [LOGIN, REFRESH, LOGOUT])
def test_the_cluster_answers_bad_input_with_4xx_never_500(cluster, path):
    answer = Client(cluster).post(path, {"refresh": 5, "username": [], "password": {}})
    assert answer.status in (400, 401), answer


def test_the_page_works_over_https_through_both_instances(cluster):
    """The browser page at nginx's https URL: log in, add a note, reload
    (the Secure refresh cookie travels, over real https). Its requests land
    on both instances in turn."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from harness.browser import add_note, launch, log_in

    with playwright_api.sync_playwright() as playwright:
        browser, why = launch(playwright)
        if browser is None:
            pytest.skip(why)
        try:
            # The certificate is made for this run: Chromium cannot know it.
            context = browser.new_context(ignore_https_errors=True)
            page = context.new_page()
            served = set()
            page.on("response", lambda r: served.add(r.headers.get("x-served-by")))
            log_in(page, cluster.url, "alice", cluster.users["alice"])
            add_note(page, "Over https", "through nginx")
            cookie = {c["name"]: c for c in context.cookies()}["refresh_token"]
            assert cookie["secure"] and cookie["httpOnly"]
            page.reload()  # a new access token, from the cookie
            page.wait_for_selector("#list li:has-text('Over https')")
            assert served >= {f"127.0.0.1:{i.port}" for i in cluster.instances}
        finally:
            browser.close()


@pytest.mark.parametrize(("size", "by"), [(70_000, "Django"), (2_000_000, "nginx")])
def test_a_body_too_large_gets_413_in_json_through_nginx(cluster, size, by):
    """Over Django's 64 KB, Django's 413; over nginx's 1 MB, nginx's: the
    same JSON either way (and nginx can buffer a body to disk on the way)."""
    client = Client(cluster)
    tokens = client.login()
    note = {"title": "big", "body": "x" * size}
    answer = client.post(NOTES, note, token=tokens["access"])
    assert (answer.status, answer.code) == (413, "too_large"), (by, answer)


class ActsThenHangsUp:
    """A stand-in instance that reads each request, counts it, and closes
    the connection without answering: an instance that dies mid-request."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.methods = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return  # closed
            with connection:
                self.methods.append(connection.recv(65536).split(b" ", 1)[0])


def test_nginx_never_sends_a_post_on_to_another_instance(cluster):
    """An instance received a request and never answered: nginx sends a
    GET on to the next instance, but a POST gets a 502 and the next instance
    never sees it (the first may have acted on it: a refresh must not run
    twice). A second nginx, in front of the stand-in and instance B."""
    b = cluster.instances[1]
    hangs_up = ActsThenHangsUp()
    folder = cluster.folder / "second-nginx"
    folder.mkdir()
    key = cluster.folder / "cluster.key"
    proxy = Nginx(folder, [hangs_up, b], cluster.certificate, key)
    client = Client(cluster)
    tokens = client.login()

    def through_proxy(method, body=None):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", proxy.port, timeout=10, context=client.tls
        )
        headers = {"Authorization": f"Bearer {tokens['access']}"}
        headers["Content-Type"] = "application/json"
        connection.request(method, NOTES, body, headers)
        answer = connection.getresponse()
        answer.read()
        connection.close()
        return answer.status

    try:
        proxy.start()
        before = client.get(NOTES, token=tokens["access"]).json["count"]
        # Round robin starts with the first server: the stand-in.
        assert through_proxy("POST", b'{"title": "once", "body": "?"}') == 502
        assert hangs_up.methods == [b"POST"]
        after = client.get(NOTES, token=tokens["access"]).json["count"]
        assert after == before, "the POST ran on the second instance too"
        proxy.stop()  # a fresh nginx, which tries the stand-in first again
        proxy.start()
        assert through_proxy("GET") == 200  # moved on to B
        assert hangs_up.methods == [b"POST", b"GET"]
    finally:
        proxy.stop()
        hangs_up.socket.close()
