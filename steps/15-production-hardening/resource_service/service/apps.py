from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ServiceConfig(AppConfig):
    """The resource service itself, as an app, so that it can check itself."""

    name = "service"

    def ready(self):
        # As the auth service does (step 07): simplejwt ignores keys it does
        # not know, and a typo such as "AUDIANCE" would turn a check off.
        from rest_framework_simplejwt.settings import DEFAULTS

        unknown = sorted(set(settings.SIMPLE_JWT) - set(DEFAULTS))
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown SIMPLE_JWT setting(s): {', '.join(unknown)}. simplejwt "
                "would ignore them silently."
            )
