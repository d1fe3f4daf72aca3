from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework_simplejwt.token_blacklist.admin import OutstandingTokenAdmin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User

admin.site.register(User, UserAdmin)


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
