"""Chapter 5: client.py meets an expired access token, and refreshes it.

    .venv/bin/python steps/05-expiry-and-refresh/try_client.py $API

Logs in as user, spoils the access token (the server answers a junk string
as it answers an expired token: 401), and asks for the protected view.
Python puts this file's folder first on its path: `client` is client.py.
"""

import sys

from client import NotesClient

api = NotesClient(sys.argv[1])
api.login("user", "pass")
api.access = "expired"
response = api.get("/api/protected/")
print(response.status_code, response.json(), "refreshes:", api.refreshes)
