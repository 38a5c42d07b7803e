from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class DiaryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """The page size asked for, at most ``max_page_size``; anything but a whole number
        from 1 is refused (400), not quietly answered with the default page: the schema says
        an integer from 1, and an app that sent ``page_size=abc`` has a bug to see."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # ASCII digits only: int() also reads " 5", "1_000" and other scripts' digits.
        try:
            size = int(raw) if raw.isascii() and raw.isdigit() else 0
        except ValueError:  # more digits than int() reads: no page size either
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number from 1."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1  # page 0 is "not found", page_size 0 refused
            if parameter["name"] == self.page_query_param:
                parameter["allowEmptyValue"] = True  # DRF reads ``?page=`` as page 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}); "
                    f"more than {self.max_page_size} gives {self.max_page_size}."
                )
        return parameters

    def get_paginated_response_schema(self, schema):
        # DRF's schema lists only count and results as required, but every page has
        # next and previous too (null at either end).
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = list(paginated["properties"])
        return paginated
