"""Chapter 15: a request as a proxy passes it on, and one header of the answer.

    cd steps/15-production-hardening
    URL=/api/hello/ PROTO=https HEADER=Strict-Transport-Security \
        ../../.venv/bin/python manage.py shell -v 0 < through_proxy.py

Django's test client sends GET URL with X-Forwarded-Proto: PROTO (what the
client used, as the proxy says); prints the status and HEADER's value.
"""

import os

from django.test import Client

client = Client(HTTP_HOST="127.0.0.1")
response = client.get(
    os.environ["URL"], headers={"X-Forwarded-Proto": os.environ["PROTO"]}
)
print(response.status_code, response.get(os.environ["HEADER"]))
