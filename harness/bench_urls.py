"""final/'s URLs, plus the view that the cost bench compares against.

GET /bench/protected-plain-jwt/ is final/'s own protected view with one
change: simplejwt's stock JWTAuthentication (the signature, the expiry, the
user loaded from the database, is_active and the password fingerprint)
instead of final/'s SessionJWTAuthentication (all that, plus: is the token's
session still going?). The difference between the two rows is the price of
final/'s revocation check alone.
"""

from django.urls import path
from rest_framework_simplejwt.authentication import JWTAuthentication

from config import views
from config.urls import urlpatterns as final_urlpatterns

# protected_view is a DRF function view: .cls is the APIView class behind it,
# and as_view() may set a class attribute for this one route.
plain_jwt_protected = views.protected_view.cls.as_view(
    authentication_classes=[JWTAuthentication]
)

urlpatterns = [
    *final_urlpatterns,
    path("bench/protected-plain-jwt/", plain_jwt_protected),
]
