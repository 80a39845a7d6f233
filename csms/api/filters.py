"""Query-string filters that refuse what they cannot read."""

from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail


class StrictFilterSet(django_filters.FilterSet):
    """A blank date or choice (`?created_after=`) is an error, not "no filter": the client meant
    something. (A blank text filter stays "no filter", as the schema allows an empty string.)"""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        blank = [
            name
            for name, field in self.filters.items()
            if not isinstance(field, django_filters.CharFilter) and name in self.data and "" in self.data.getlist(name)
        ]
        for name in blank:
            self.form.add_error(name, ValidationError("This parameter may not be blank.", code="blank"))
        return valid and not blank


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, turned to UTC: the database need not understand the client's offset
    (PostgreSQL refuses offsets past ±15:59, which ISO allows), and one its offset pushes off the calendar is its first or last moment, as the schema calls it valid."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # its offset pushes it off the calendar: the calendar's first or last moment
            return (datetime.min if parsed.year == datetime.min.year else datetime.max).replace(tzinfo=UTC)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class StrictQuerySerializer(serializers.Serializer):
    """Query parameters read by a serializer, where a blank value (`?min_power_kw=`) is an error, as in
    StrictFilterSet. DRF reads a blank form value of an optional field as "not given"; the schema
    documents these parameters' formats, and a blank one has none of them."""

    def to_internal_value(self, data):
        blank = {
            name: [ErrorDetail("This parameter may not be blank.", code="blank")]
            for name in self.fields
            if hasattr(data, "getlist") and "" in data.getlist(name)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)
