"""A limit on refused links per address: a wrong, expired or revoked link is counted, a
working one never is, so a ward behind one hospital address is not locked out at 10:00."""

from rest_framework.throttling import SimpleRateThrottle

from diary.api.throttles import LocalFallbackMixin


class RefusedLinkThrottle(LocalFallbackMixin, SimpleRateThrottle):
    scope = "weblink"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def refused_link_allowed(request) -> bool:
    """Count one refused link from this address; False once past the rate."""
    return RefusedLinkThrottle().allow_request(request, view=None)
