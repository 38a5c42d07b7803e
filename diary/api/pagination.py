from rest_framework.pagination import PageNumberPagination


class DiaryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema):
        # DRF's schema lists only count and results as required, but every page has
        # next and previous too (null at either end).
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = list(paginated["properties"])
        return paginated
