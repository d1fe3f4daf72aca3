import jwt
from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["GET"])
def whoami(request):
    """GET /api/whoami/: who the token says you are. Nothing here is looked
    up: request.user is simplejwt's TokenUser, made from the checked token."""
    user, token = request.user, request.auth
    return Response(
        {
            "user_id": user.id,
            "username": user.username,
            "is_staff": user.is_staff,
            # The auth service's key that this token was checked with.
            "kid": jwt.get_unverified_header(token.token)["kid"],
        }
    )
