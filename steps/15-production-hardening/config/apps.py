from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ProjectConfig(AppConfig):
    """The project itself, as an app, so that it can check itself at start-up."""

    name = "config"

    def ready(self):
        # simplejwt silently ignores keys it does not know, so a typo such as
        # "ACCES_TOKEN_LIFETIME" quietly leaves the default in force.
        from rest_framework_simplejwt.settings import DEFAULTS

        unknown = sorted(set(settings.SIMPLE_JWT) - set(DEFAULTS))
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown SIMPLE_JWT setting(s): {', '.join(unknown)}. simplejwt "
                "would ignore them silently; check their spelling against "
                "https://django-rest-framework-simplejwt.readthedocs.io/en/v5.5.1/settings.html"
            )
        # Without the blacklist app, blacklisting silently does nothing (step 09).
        blacklist_app = "rest_framework_simplejwt.token_blacklist"
        if settings.SIMPLE_JWT.get("BLACKLIST_AFTER_ROTATION") and (
            blacklist_app not in settings.INSTALLED_APPS
        ):
            raise ImproperlyConfigured(
                f"BLACKLIST_AFTER_ROTATION needs {blacklist_app!r} in "
                "INSTALLED_APPS; without it, rotated and logged-out refresh "
                "tokens keep working."
            )
        # Tokens name their key (a `kid` header) and are checked with the key
        # they name, among ours (accounts/keys.py). simplejwt has no setting
        # for this: every token class asks rest_framework_simplejwt.state for
        # its backend, at each use, so we put ours there, before any token.
        from rest_framework_simplejwt import state

        from accounts.keys import KeyIdBackend, published_keys

        published_keys()  # a bad JWT_EXTRA_PUBLIC_KEYS stops start-up, here
        state.token_backend = KeyIdBackend()
