"""Paging for every list: `?page=2&page_size=50`."""
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Page(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        """A page or page size that is not a positive number is bad input (400), not a missing page."""
        for name in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(name)
            if value is not None and not (value.isdigit() and int(value) >= 1):
                raise ValidationError({name: ["Must be a whole number, 1 or more."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
