from django.contrib import admin
from rest_framework_simplejwt.token_blacklist.admin import OutstandingTokenAdmin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


class OutstandingTokenAdminWithoutTokens(OutstandingTokenAdmin):
    """simplejwt's admin for the refresh tokens it issued, without the tokens.

    simplejwt's own shows each token in full on its page: any staff member
    allowed to look could copy a live refresh token and take over that
    session. The jti, the user and the dates are enough to find a session.
    """

    exclude = ("token",)

    def get_readonly_fields(self, *args, **kwargs):
        fields = super().get_readonly_fields(*args, **kwargs)
        return [name for name in fields if name != "token"]


admin.site.unregister(OutstandingToken)
admin.site.register(OutstandingToken, OutstandingTokenAdminWithoutTokens)
