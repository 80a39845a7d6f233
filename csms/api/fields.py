"""Serializer fields that take JSON types as the schema states them.

DRF's fields are lenient (the number 0 is the string "0", and false; the
string "7" is an integer): an app sending the wrong type has a bug, and
hearing about it at once beats a value it did not mean.
"""

from rest_framework import serializers


class _Strict:
    json_types: tuple[type, ...] = ()
    default_error_messages = {"wrong_type": "Must be a JSON {kind}."}
    kind = ""

    def to_internal_value(self, data):
        if isinstance(data, bool) and bool not in self.json_types or not isinstance(data, self.json_types):
            self.fail("wrong_type", kind=self.kind)
        return super().to_internal_value(data)


class StrictCharField(_Strict, serializers.CharField):
    json_types, kind = (str,), "string"


class StrictEmailField(_Strict, serializers.EmailField):
    json_types, kind = (str,), "string"


class StrictRegexField(_Strict, serializers.RegexField):
    json_types, kind = (str,), "string"


class StrictBooleanField(_Strict, serializers.BooleanField):
    json_types, kind = (bool,), "boolean"


class StrictIntegerField(_Strict, serializers.IntegerField):
    json_types, kind = (int,), "integer"


class StrictFloatField(_Strict, serializers.FloatField):
    json_types, kind = (int, float), "number"
