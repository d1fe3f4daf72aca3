from support import assert_status, feature

pytestmark = feature("hello")


def test_hello_answers_json_to_anyone(api):
    """GET /api/hello/ answers 200 with {"message": "Hello, world!"}, no login."""
    response = api.get("/api/hello/")
    assert_status(response, 200)
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Hello, world!"}
