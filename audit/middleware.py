"""Binds each request to the audit trail, so rows written while answering it say who asked."""

from audit import log


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = log.bind(request)
        try:
            return self.get_response(request)
        finally:
            log.unbind(token)
