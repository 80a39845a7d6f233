"""Query-string filters that refuse what they cannot read."""
import django_filters
from django.core.exceptions import ValidationError


class StrictFilterSet(django_filters.FilterSet):
    """A blank date or choice (`?created_after=`) is an error, not "no filter": the client meant
    something. (A blank text filter stays "no filter", as the schema allows an empty string.)"""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        blank = [
            name for name, field in self.filters.items()
            if not isinstance(field, django_filters.CharFilter) and name in self.data and "" in self.data.getlist(name)
        ]
        for name in blank:
            self.form.add_error(name, ValidationError("This parameter may not be blank.", code="blank"))
        return valid and not blank
