"""Chapter 15: who DRF's throttles take a request to be from.

    cd steps/15-production-hardening
    NUM_PROXIES=1 FORWARDED='203.0.113.77, 198.51.100.1' \
        ../../.venv/bin/python manage.py shell -v 0 < client_ip.py

A request from 127.0.0.1 with FORWARDED as its X-Forwarded-For header, and
what get_ident(), which every throttle uses, makes of it (with NUM_PROXIES
read by the settings).
"""

import os

from django.test import RequestFactory
from rest_framework.throttling import BaseThrottle

request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=os.environ["FORWARDED"])
print(BaseThrottle().get_ident(request))
