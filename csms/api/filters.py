"""Query-string filters that refuse what they cannot read."""
import django_filters
from django.core.exceptions import ValidationError


class StrictFilterSet(django_filters.FilterSet):
    """A blank parameter (`?created_after=`) is an error, not "no filter": the client meant something."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        blank = [name for name in self.filters if name in self.data and "" in self.data.getlist(name)]
        for name in blank:
            self.form.add_error(name, ValidationError("This parameter may not be blank.", code="blank"))
        return valid and not blank
