from rest_framework_simplejwt.serializers import TokenObtainPairSerializer


class TokenObtainPairWithClaimsSerializer(TokenObtainPairSerializer):
    """POST /api/token/, adding two claims to every token it issues."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        # Anyone holding the token can read these: never put secrets here.
        # They are a snapshot taken at login: refreshing copies them as they
        # were, so they go stale when the user changes.
        token["username"] = user.username
        token["is_staff"] = user.is_staff
        return token


def tokens_for(user):
    """Tokens made by hand (a script, a sign-up flow), with the same claims.

    get_token() is RefreshToken.for_user(user) plus our claims, and for_user()
    does not refuse a deactivated account: simplejwt 5.5.1 only logs a warning
    and issues the tokens anyway. So check first, as the login view does.
    """
    if not user.is_active:
        raise ValueError(f"{user.get_username()} is inactive: no tokens")
    refresh = TokenObtainPairWithClaimsSerializer.get_token(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}
