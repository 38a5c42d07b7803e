"""What schemathesis's conformance checks found (tests/integration/test_schemathesis.py),
each pinned here: the answer real callers get is the one the schema declares."""

import uuid

import pytest

from diary import services
from diary.models import PatientStatus
from tests.conftest import _client
from tests.contract.schema_check import assert_matches, openapi

API = "/api/v1"


@pytest.mark.parametrize("size", ["abc", "null", "", "0", "-3", "2.5", " 5", "1_000", "\u0663"])
def test_a_page_size_that_is_not_a_whole_number_from_one_is_refused(as_ana, anas_block, size):
    # It used to be answered quietly with the default page, which the schema does not allow.
    response = as_ana.get(f"{API}/me/entries/", {"page_size": size})

    assert response.status_code == 400
    assert response.json()["fields"] == {"page_size": ["A whole number from 1."]}
    assert_matches(response, "/api/v1/me/entries/")


def test_the_schema_says_a_page_size_and_a_page_start_at_one():
    parameters = openapi()["paths"]["/api/v1/patients/"]["get"]["parameters"]
    paging = {p["name"]: p["schema"] for p in parameters if p["name"] in ("page", "page_size")}

    assert paging == {n: {"type": "integer", "minimum": 1} for n in ("page", "page_size")}


def test_dr_cole_asking_for_the_staff_list_is_refused_as_the_schema_says(as_cole, db):
    # A clinician may not read the staff list: a 403 the schema did not declare for GET.
    listed = as_cole.get(f"{API}/staff/")
    one = as_cole.get(f"{API}/staff/1/")

    assert (listed.status_code, one.status_code) == (403, 403)
    assert_matches(listed, "/api/v1/staff/")
    assert_matches(one, "/api/v1/staff/{id}/")


def test_a_colleague_with_no_email_who_never_signed_in_matches_the_schema(mara, dr_cole):
    # Dr Cole has a blank e-mail and has never signed in: "" and null, both now declared.
    as_mara = _client(services.issue_staff_token(mara))
    cole = dr_cole.membership

    listed = as_mara.get(f"{API}/staff/")
    detail = as_mara.get(f"{API}/staff/{cole.id}/")

    assert (detail.json()["email"], detail.json()["last_login"]) == ("", None)
    assert_matches(listed, "/api/v1/staff/")
    assert_matches(detail, "/api/v1/staff/{id}/")


def test_every_operation_declares_the_web_server_s_414():
    schema = openapi()
    refused = schema["components"]["responses"]["UriTooLong"]

    assert list(refused["content"]) == ["text/html"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"].get("414")
            assert declared == {"$ref": "#/components/responses/UriTooLong"}, (method, path)


def test_an_empty_filter_lists_all_as_the_schema_allows(as_cole, ana):
    # ``?status=`` is "no filter" to django-filter; the schema's enum refused it until
    # the parameter said ``allowEmptyValue``.
    response = as_cole.get(f"{API}/patients/", {"status": ""})

    assert response.status_code == 200 and response.json()["count"] == 1
    assert_matches(response, "/api/v1/patients/")
    for path, operations in openapi()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] != "page_size":
                assert parameter.get("allowEmptyValue") is True, (path, parameter["name"])


def test_a_correction_sent_as_the_schema_says_is_accepted(as_ana, anas_block, entry_for):
    # The schema declared the entry's own body, procedure and recorded_at required, which
    # the view refuses in a correction: no generated client could send a correct one.
    operation = openapi()["paths"]["/api/v1/me/entries/{id}/correct/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = openapi()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    first = as_ana.post(f"{API}/me/entries/", entry_for(anas_block), format="json").json()

    corrected = as_ana.post(
        f"{API}/me/entries/{first['id']}/correct/",
        {"client_id": str(uuid.uuid4()), "pain_score": 6},
        format="json",
    )

    assert not {"procedure", "checkin", "recorded_at", "sent_at"} & set(body_schema["properties"])
    assert body_schema["required"] == ["client_id", "pain_score"]
    assert corrected.status_code == 201 and corrected.json()["corrects"] == first["id"]
    assert_matches(corrected, "/api/v1/me/entries/{id}/correct/", "POST")


def test_a_web_link_for_a_paused_diary_is_refused_as_the_schema_says(as_cole, ana):
    # The operation has no body, so no 400 was derived for it; the service refuses anyway.
    ana.status = PatientStatus.PAUSED
    ana.save(update_fields=["status"])

    refused = as_cole.post(f"{API}/patients/{ana.id}/web-link/")

    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["status"]
    assert_matches(refused, "/api/v1/patients/{id}/web-link/", "POST")
