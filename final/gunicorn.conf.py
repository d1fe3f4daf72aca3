"""gunicorn's settings for this project: `make step-15 SERVER=gunicorn`, or
in production `gunicorn -c gunicorn.conf.py config.wsgi` (with DJANGO_ENV,
the keys, DJANGO_ALLOWED_HOSTS and DATABASE_URL in the environment).

runserver is a development server: one process, no limits, and static
files only with DEBUG on. gunicorn runs several worker processes and
restarts one that hangs.
"""

import os

# Where to listen: behind a reverse proxy on the same machine, loopback.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Worker processes: each answers one request at a time. Two per core is a
# common start; measure before changing it. Each worker has its own memory:
# without REDIS_URL, the throttle's local-memory cache counts per worker
# (config/settings.py).
workers = int(os.environ.get("WEB_CONCURRENCY", 2))

# A request that takes longer than this kills its worker (a new one starts).
timeout = 30
# On a restart, requests in progress get this long to finish.
graceful_timeout = 30
# Behind a proxy that keeps connections open, a little longer than its own.
keepalive = 5

# The access log, on standard output: time, client, method, path (never the
# query string, where a careless client might put a token), status, size
# and duration in microseconds. No header is logged, so no Authorization.
accesslog = "-"
access_log_format = '%(t)s %(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus'
errorlog = "-"

# Trust X-Forwarded-* headers from the proxy on this machine only.
forwarded_allow_ips = "127.0.0.1"

# gunicorn 24 on opens a control socket in the home directory, for
# `gunicornc`: this project does not use it.
control_socket_disable = True
