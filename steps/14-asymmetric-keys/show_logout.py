"""Chapter 9: the installed simplejwt's logout serializer, validate().

    cd steps/09-logout-without-blacklist
    ../../.venv/bin/python manage.py shell -v 0 < show_logout.py

`manage.py shell` runs what it reads with the step's settings loaded.
"""

import inspect

from rest_framework_simplejwt.serializers import TokenBlacklistSerializer

print(inspect.getsource(TokenBlacklistSerializer.validate), end="")
