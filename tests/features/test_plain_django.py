from django.conf import settings

from support import assert_status, feature

pytestmark = feature("plain-django")


def test_no_rest_framework_yet():
    """Step 01 is plain Django: Django REST framework is not installed yet."""
    assert "rest_framework" not in settings.INSTALLED_APPS


def test_there_is_no_api_but_hello(api, db):
    """Only /api/hello/ exists; the notes API arrives in step 02."""
    assert_status(api.get("/api/notes/"), 404)
