r"""An id in a list's filter is ASCII digits, as in a path: ``?user=\u0661`` (an Arabic-Indic
one) is a 400 naming the filter, not user 1's shifts, and no id is so large or so odd
(1.5, 1e400, -1) that it reaches the query as a guess or a 500."""

import pytest

from tests.factories import make_procedure

FILTERS = [
    ("/api/v1/oncall/shifts/", "user", "as_cole"),
    ("/api/v1/alerts/", "patient", "as_cole"),
    ("/api/v1/alerts/", "procedure", "as_cole"),
    ("/api/v1/procedures/", "patient", "as_cole"),
    ("/api/v1/me/checkins/", "procedure", "as_ana"),
    ("/api/v1/me/entries/", "procedure", "as_ana"),
]
ODD = ["\u0661", "\u0967", "\uff11", "1.5", "1e400", "-1", " 1", "99999999999999999999", "0x1"]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(("url", "name", "caller"), FILTERS)
def test_an_id_filter_in_other_digits_or_not_an_id_is_a_400_naming_it(
    request, url, name, caller, value, ana
):
    client = request.getfixturevalue(caller)

    response = client.get(url, {name: value})

    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [name]


@pytest.mark.parametrize(("url", "name", "caller"), FILTERS)
def test_an_id_filter_in_ascii_digits_still_filters(request, url, name, caller, ana, dr_cole):
    block = make_procedure(ana, proceduralist=dr_cole)
    client = request.getfixturevalue(caller)
    ident = {"user": dr_cole.pk, "patient": ana.pk, "procedure": block.pk}[name]

    assert client.get(url, {name: str(ident)}).status_code == 200
