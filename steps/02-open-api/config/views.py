from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["GET"])
def hello(request):
    """The same JSON as step 01, now answered by Django REST framework."""
    return Response({"message": "Hello, world!"})
