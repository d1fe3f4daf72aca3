from drf_spectacular.utils import extend_schema
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from config.openapi import MessageSerializer


@extend_schema(responses=MessageSerializer)  # for the OpenAPI description
@api_view(["GET"])
# Public: it does not even look at credentials, so a client that sends a stale
# or broken token still gets an answer. With JWT authentication, AllowAny alone
# is not enough: a bad token would be rejected with 401 before the view runs.
@authentication_classes([])
@permission_classes([AllowAny])
def hello(request):
    return Response({"message": "Hello, world!"})


@extend_schema(responses=MessageSerializer)
@api_view(["GET"])
# IsAuthenticated is already the default (settings.py); a view that must stay
# protected says so anyway, so it stays protected if the default changes.
@permission_classes([IsAuthenticated])
def protected_view(request):
    return Response(
        {"message": f"Hello, {request.user.username}! This is a protected view."}
    )


@extend_schema(responses=MessageSerializer)
@api_view(["GET"])
# Staff only, decided from the user in the database (loaded fresh on every
# request), never from the token's is_staff claim, which may be stale.
@permission_classes([IsAdminUser])
def staff_view(request):
    return Response({"message": f"Hello, {request.user.username}. You are staff."})
