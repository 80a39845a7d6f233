"""The drivers' view of sessions and id tokens."""

from django.utils import timezone
from rest_framework import serializers

from billing.serializers import PaymentSerializer
from csms.api.errors import choices
from csms.api.fields import StrictCharField, StrictFloatField, StrictIntegerField, StrictRegexField
from sessions import api_errors, charging_needs
from sessions.models import DriverSession, IdTag


class ErrorStateSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=choices(api_errors.SESSION_ERRORS))
    message = serializers.CharField()


class CostSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217")
    excl_vat = serializers.DecimalField(max_digits=12, decimal_places=2)
    incl_vat = serializers.DecimalField(max_digits=12, decimal_places=2)


class SessionSerializer(serializers.ModelSerializer):
    """The whole current state of a session; the WebSocket sends the same object."""

    station_id = serializers.CharField(source="station.charge_point_id", help_text="The charge point id")
    evse_id = serializers.IntegerField(source="connector.evse.number", help_text="The EVSE's number on the charger")
    connector_id = serializers.IntegerField(source="connector.number", help_text="The connector's number on its EVSE")
    error = serializers.SerializerMethodField()
    max_power_kw = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(source="transaction.started_at", default=None, read_only=True)
    stopped_at = serializers.DateTimeField(source="transaction.stopped_at", default=None, read_only=True)
    duration_s = serializers.SerializerMethodField(help_text="Seconds since the start (until the stop, once stopped)")
    energy_kwh = serializers.SerializerMethodField()
    power_kw = serializers.SerializerMethodField(help_text="Power now; null once stopped")
    soc_percent = serializers.SerializerMethodField(
        help_text="State of charge now, or at the end; null if the car does not tell"
    )
    cost = serializers.SerializerMethodField(
        help_text=(
            "Cost so far while active; once completed, null until the charge detail record is sealed"
            " (moments after the stop), then final; null when no tariff applies"
        )
    )
    payment = serializers.SerializerMethodField(help_text="The card hold and what was charged; null for a free session")
    departure_time = serializers.DateTimeField(
        source="departure_at", read_only=True, help_text="When the driver said they leave; null if they did not"
    )
    energy_needed_kwh = serializers.SerializerMethodField(help_text="The energy the driver said they need by then")

    class Meta:
        model = DriverSession
        fields = [
            "id",
            "state",
            "error",
            "station_id",
            "evse_id",
            "connector_id",
            "max_power_kw",
            "created_at",
            "started_at",
            "stopped_at",
            "duration_s",
            "energy_kwh",
            "power_kw",
            "soc_percent",
            "cost",
            "payment",
            "departure_time",
            "energy_needed_kwh",
            "updated_at",
        ]

    def get_error(self, session) -> ErrorStateSerializer(allow_null=True):
        if not session.error_code:
            return None
        return {"code": api_errors.session_error(code=session.error_code), "message": session.error_message}

    def get_max_power_kw(self, session) -> float | None:
        return None if session.max_power_w is None else session.max_power_w / 1000

    def get_energy_needed_kwh(self, session) -> float | None:
        return None if session.energy_wanted_wh is None else session.energy_wanted_wh / 1000

    def get_duration_s(self, session) -> int | None:
        tx = session.transaction
        if tx is None:
            return None
        return int(((tx.stopped_at or timezone.now()) - tx.started_at).total_seconds())

    def get_energy_kwh(self, session) -> float | None:
        energy = session.transaction.energy_wh if session.transaction else None
        return None if energy is None else max(energy, 0) / 1000  # Wh are exact in kWh to 3 decimals

    def get_power_kw(self, session) -> float | None:
        tx = session.transaction
        if tx is None or tx.stopped_at is not None or tx.last_power_w is None:
            return None
        return tx.last_power_w / 1000

    def get_soc_percent(self, session) -> int | None:
        return session.transaction.last_soc_percent if session.transaction else None

    def get_cost(self, session) -> CostSerializer(allow_null=True):
        """As billing priced it and stored it on the transaction (sessions.costs): nothing is priced here.
        A stopped session shows its cost once it is sealed."""
        tx = session.transaction
        if tx is None or tx.cost_incl_vat is None or (tx.stopped_at is not None and not tx.cost_final):
            return None
        return CostSerializer(
            {"currency": tx.cost_currency, "excl_vat": tx.cost_excl_vat, "incl_vat": tx.cost_incl_vat}
        ).data

    def get_payment(self, session) -> PaymentSerializer(allow_null=True):
        payment = getattr(session, "payment", None)
        if payment is None:
            return None
        return PaymentSerializer(
            {
                "status": payment.status,
                "currency": payment.currency,
                "amount_authorised": payment.amount_authorised,
                "amount_charged": payment.amount_captured + payment.amount_excess,
            }
        ).data


class ChargingNeedsSerializer(serializers.Serializer):
    """What the driver needs by when, for smart charging: it plans to get the energy in by the departure."""

    departure_time = serializers.DateTimeField(
        source="departure_at",
        required=False,
        allow_null=True,
        help_text="When the driver leaves (ISO 8601 with an offset): in the future, at most 48 h ahead; null: none",
    )
    energy_needed_kwh = StrictFloatField(
        required=False,
        allow_null=True,
        min_value=0.1,
        max_value=charging_needs.MAX_ENERGY_WH / 1000,
        help_text="The energy the driver needs by their departure, 0.1 to 250 kWh; null: none",
    )

    def validate_departure_time(self, value):
        now = timezone.now()
        if value is None:
            return None
        if value <= now:
            raise serializers.ValidationError("The departure time must be in the future.", code="in_the_past")
        if value > now + charging_needs.MAX_DEPARTURE_AHEAD:
            raise serializers.ValidationError("The departure time must be at most 48 h ahead.", code="too_far_ahead")
        return value

    def to_internal_value(self, data):
        """The energy in Wh, as the domain keeps it."""
        values = super().to_internal_value(data)
        if "energy_needed_kwh" in values:
            kwh = values.pop("energy_needed_kwh")
            values["energy_wanted_wh"] = None if kwh is None else round(kwh * 1000)
        return values


class StartSessionSerializer(ChargingNeedsSerializer):
    station_id = StrictCharField(
        source="charge_point_id", max_length=64, help_text="The charge point id (on the charger's QR code)"
    )
    evse_id = StrictIntegerField(
        source="evse_number", min_value=1, max_value=2**31 - 1, help_text="The EVSE (OCPP 1.6: the connector number)"
    )
    connector_id = StrictIntegerField(
        source="connector_number",
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="The connector of the EVSE; omit for the EVSE's only connector",
    )
    max_power_kw = StrictFloatField(
        min_value=1,
        max_value=1000,
        required=False,
        help_text="Limit charging to this power; sent to the charger as a TxProfile charging profile",
    )


class IdTokenSerializer(serializers.ModelSerializer):
    uid = serializers.CharField(source="id_tag", read_only=True)
    type = serializers.CharField(
        source="token_type", read_only=True, help_text="RFID, or APP_USER for the app's own token"
    )

    class Meta:
        model = IdTag
        fields = ["id", "uid", "type", "status", "expires_at", "created_at"]
        read_only_fields = fields


class RegisterCardSerializer(serializers.Serializer):
    uid = StrictRegexField(
        r"^[0-9A-Fa-f]{4,20}$", help_text="The card's uid as the reader reports it: 4 to 20 hex digits"
    )
