from django.http import JsonResponse


def hello(request):
    """A plain Django view: no REST framework, no authentication, just JSON."""
    return JsonResponse({"message": "Hello, world!"})
