from django.contrib.auth import get_user_model
from rest_framework import serializers

from csms.api.fields import StrictBooleanField, StrictCharField, StrictEmailField
from sessions.models import IdTag


class ProfileSerializer(serializers.ModelSerializer):
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    app_token = serializers.SerializerMethodField(
        help_text="The idTag the CSMS starts this driver's app sessions with."
    )

    class Meta:
        model = get_user_model()
        fields = ["id", "email", "first_name", "last_name", "date_joined", "app_token"]
        read_only_fields = ["id", "email", "date_joined", "app_token"]

    def get_app_token(self, user) -> str | None:
        return user.id_tags.filter(token_type=IdTag.TokenType.APP).values_list("id_tag", flat=True).first()


# Passwords and tokens are taken as typed: DRF trims text by default, which would accept a
# " password " as "password", and answer a schema-valid whitespace token as blank (400).
class SignUpSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=150)
    password = StrictCharField(
        write_only=True,
        max_length=128,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="At least 8 characters, not all digits, not a common password.",
    )
    first_name = StrictCharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, default="", allow_blank=True)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True, help_text="Send as `Authorization: Bearer <access>`; short-lived.")
    refresh = serializers.CharField(read_only=True, help_text="Exchange at /api/v1/auth/token/refresh for a new pair.")


class SignedUpSerializer(serializers.Serializer):
    profile = ProfileSerializer(read_only=True)
    tokens = TokenPairSerializer(read_only=True)


class LoginSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=150)
    password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"})


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=4096, trim_whitespace=False)


class LogoutSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=4096, trim_whitespace=False)
    everywhere = StrictBooleanField(default=False, help_text="Also revoke every other refresh token of this account.")


class PasswordChangeSerializer(serializers.Serializer):
    current_password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False)
    new_password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False)
