"""A client of this API that refreshes its access token when it expires.

Not part of the Django project: it is the other side, the code every real
client needs. Log in once; on a 401, trade the refresh token for a new access
token and retry the request once; if the refresh token has expired too, the
user must log in again.

    api = NotesClient("http://127.0.0.1:8000")
    api.login("user", "pass")
    api.get("/api/protected/").json()
"""

import requests


class LoginRequired(Exception):
    """The refresh token is no longer valid: ask the user to log in again."""


class NotesClient:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.access = self.refresh = None
        self.refreshes = 0  # how many times a 401 was fixed by refreshing

    def login(self, username, password):
        response = self.session.post(
            self.base_url + "/api/token/",
            json={"username": username, "password": password},
        )
        response.raise_for_status()
        tokens = response.json()
        self.access, self.refresh = tokens["access"], tokens["refresh"]

    def get(self, path):
        response = self._get(path)
        if response.status_code == 401 and self.refresh:
            self._refresh_access_token()
            response = self._get(path)  # once: a second 401 is a real refusal
        return response

    def _get(self, path):
        headers = {"Authorization": f"Bearer {self.access}"}
        return self.session.get(self.base_url + path, headers=headers)

    def _refresh_access_token(self):
        response = self.session.post(
            self.base_url + "/api/token/refresh/", json={"refresh": self.refresh}
        )
        if response.status_code == 401:
            self.access = self.refresh = None
            raise LoginRequired("the refresh token has expired: log in again")
        response.raise_for_status()
        tokens = response.json()
        self.access = tokens["access"]
        # With rotation, the answer holds a new refresh token and the old one
        # is dead: keep the newest, or the next refresh fails.
        self.refresh = tokens.get("refresh", self.refresh)
        self.refreshes += 1
