"""Paging for every list: `?page=2&page_size=50`."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Page(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        """A page or page size out of its documented range is bad input (400), not a missing page."""
        limits = {self.page_query_param: None, self.page_size_query_param: self.max_page_size}
        for name, maximum in limits.items():
            value = request.query_params.get(name)
            if value is not None and not (value.isdigit() and 1 <= int(value) <= (maximum or int(value))):
                bound = f" and at most {maximum}" if maximum else ""
                raise ValidationError({name: [f"Must be a whole number, at least 1{bound}."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
