from django.conf import settings
from django.shortcuts import render


def page(request):
    """The notes page: one template and one script, no build step."""
    return render(request, "web/page.html", {"analytics_url": settings.ANALYTICS_URL})
