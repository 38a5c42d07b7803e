"""The caller's address, as every limit counts it: the throttles and the login lockout.

One rule for all of them (DRF's ``get_ident`` with ``NUM_PROXIES``, set from
``TRUSTED_PROXIES``): with 0 the connecting address only, so a client cannot choose its own
by sending ``X-Forwarded-For``; behind N proxies of ours, the address the outermost one saw.
"""

import ipaddress

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """A valid IP address, for django-axes (``AXES_CLIENT_IP_CALLABLE``) as for throttles.

    Why the check: behind a misconfigured proxy the header's entry can be any text, and
    axes stores it in an address column (PostgreSQL's inet would refuse it with a 500).
    Then the connecting address (the proxy) is counted: stricter, never looser.
    """
    ident = BaseThrottle().get_ident(request) or ""
    try:
        return str(ipaddress.ip_address(ident.strip()))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (an address, not a bind)
