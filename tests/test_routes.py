"""The route a log line or an audit row names (backend/routes.py): a router's regex reads as a
path, without its ``^`` and ``$``, and nothing else of the pattern changes."""

import pytest
from django.urls import ResolverMatch, resolve

from backend.routes import route_of


def matched(route: str) -> ResolverMatch:
    return ResolverMatch(lambda request: None, (), {}, route=route)


def test_a_router_s_list_route_reads_as_its_path():
    assert route_of(resolve("/api/v1/me/entries/")) == "api/v1/me/entries/"


def test_a_detail_route_keeps_its_id_group():
    assert route_of(resolve("/api/v1/patients/7/")) == "api/v1/patients/(?P<pk>[0-9]+)/"


def test_a_path_route_is_left_as_it_is():
    assert route_of(resolve("/c/secret-link-token-abc")) == "c/<str:token>"


@pytest.mark.parametrize(
    ("route", "read"),
    [
        ("^me/entries/$", "me/entries/"),
        ("api/v1/^me/$", "api/v1/^me/"),  # only the leading ^ is an anchor
        ("items/(?P<pk>[^/.]+)/$", "items/(?P<pk>[^/.]+)/"),
        ("admin/(?P<url>.*)$", "admin/(?P<url>.*)"),
        (r"price/\$", r"price/\$"),  # an escaped $ is a dollar sign
        ("items/$$", "items/$"),
        ("", ""),
    ],
)
def test_only_a_leading_caret_and_a_trailing_dollar_are_stripped(route, read):
    assert route_of(matched(route)) == read
