"""The drivers' view of their saved cards and payments."""

from rest_framework import serializers


class SavedCardSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Stripe PaymentMethod id")
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()


class SetupIntentSerializer(serializers.Serializer):
    client_secret = serializers.CharField(
        help_text="Confirm it with the card in the app (Stripe SDK); card data never reaches Voltstack."
    )


class PaymentSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["authorised", "captured", "cancelled", "failed", "refunded"])
    currency = serializers.CharField()
    amount_authorised = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount_charged = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Captured from the hold plus any charge above it"
    )


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=["session", "monthly"])
    issued_at = serializers.DateTimeField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    currency = serializers.CharField()
    total_excl_vat = serializers.DecimalField(max_digits=12, decimal_places=2)
    total_incl_vat = serializers.DecimalField(max_digits=12, decimal_places=2)
