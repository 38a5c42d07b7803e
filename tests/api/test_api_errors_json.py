"""Under /api/ every refusal is the one error body, the 404 and the 500 included; pages stay
HTML."""

import pytest
from django.test import Client, RequestFactory

from diary.api.errors import api_server_error

BODY_KEYS = {"code", "message", "fields"}


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


@pytest.mark.urls("tests.api.error_urls")
def test_a_view_that_fails_unexpectedly_answers_json_500_with_debug_off(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/api/v1/boom/")
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    body = response.json()
    assert body["code"] == "server_error"
    assert set(body) == BODY_KEYS
    assert "a bug" not in response.content.decode()  # nothing of the failure leaks


def test_a_server_error_under_the_api_is_json_and_elsewhere_html():
    factory = RequestFactory()
    api = api_server_error(factory.post("/api/v1/me/entries/"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    page = api_server_error(factory.get("/dashboard/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


def test_no_token_is_401_with_the_error_body(anon):
    response = anon.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_401_authentication_failed(anon, db):
    anon.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = anon.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_failed",
        "message": "Invalid token.",
        "fields": {},
    }


def test_a_field_error_names_the_field_and_says_it_in_the_message(as_ana, anas_block):
    response = as_ana.post("/api/v1/me/entries/", {"pain_score": 3}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"client_id", "procedure", "recorded_at"}
    assert body["message"].startswith("client_id: This field is required.")
    assert body["message"].endswith("(and 2 more fields)")


def test_a_throttled_caller_gets_the_error_body_and_retry_after(anon, db):
    for _ in range(20):
        response = anon.post("/api/v1/enroll/", {"code": "WRONG-CODE"}, format="json")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
