from rest_framework.routers import SimpleRouter


class IdRouter(SimpleRouter):
    """A router whose detail routes take an id of ASCII digits, as Django's ``int`` path
    converter does.

    Why: DRF's default lookup pattern takes any text up to a slash, and the id reaches the
    query through Python's ``int()``, which reads every Unicode digit: ``/patients/\u0661/``
    (an Arabic-Indic one) was patient 1. A viewset looking up something other than an id sets
    its own ``lookup_value_regex``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+"
