"""Under /api/ every answer is JSON, the 404 and the 500 included; pages stay HTML."""

from django.test import RequestFactory

from diary.api.errors import api_server_error


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_server_error_under_the_api_is_json_and_elsewhere_html():
    factory = RequestFactory()
    api = api_server_error(factory.post("/api/v1/me/entries/"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    page = api_server_error(factory.get("/dashboard/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")
