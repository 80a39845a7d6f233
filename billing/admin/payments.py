"""Card payments in the admin: shown with their refunds, and refunded from here."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template import engines

from billing.admin.read_only import ReadOnlyAdmin
from billing.models import Payment, Refund
from billing.payments import refunds
from billing.payments.errors import PaymentError


class RefundInline(admin.TabularInline):
    model = Refund
    fields = ["stripe_refund_id", "stripe_payment_intent_id", "amount", "reason", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RefundForm(forms.Form):
    """One amount per selected payment, each defaulting to all that is left to refund."""

    def __init__(self, selected: list[Payment], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for payment in selected:
            self.fields[f"amount_{payment.pk}"] = forms.DecimalField(
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
                initial=refunds.refundable(payment),
                label=f"{payment} ({payment.currency})",
            )


_REFUND_PAGE = engines["django"].from_string("""{% extends "admin/base_site.html" %}
{% block content %}
<form method="post">{% csrf_token %}
  <p>The money goes back to the driver's card, from the hold's capture first, then from the excess charge.</p>
  {{ form.non_field_errors }}
  <table>
    {% for field in form %}<tr><th>{{ field.label_tag }}</th><td>{{ field.errors }}{{ field }}</td></tr>{% endfor %}
  </table>
  <input type="hidden" name="action" value="refund">
  {% for payment in selected %}<input type="hidden" name="_selected_action" value="{{ payment.pk }}">{% endfor %}
  <input type="submit" name="confirm" value="Refund">
  <a href="" class="button cancel-link">Cancel</a>
</form>
{% endblock %}""")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are written by the payment flow and Stripe's webhook only; operators look, and refund."""

    list_display = [
        "driver_session",
        "status",
        "currency",
        "amount_captured",
        "amount_excess",
        "refunded",
        "failure_code",
        "dispute_status",
        "created_at",
    ]
    list_filter = ["status", "currency", "dispute_status"]
    search_fields = ["stripe_payment_intent_id", "excess_payment_intent_id", "driver_session__driver__email"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]
    actions = ["refund"]

    def has_refund_permission(self, request) -> bool:
        """Refunding changes the payment, so it takes the change permission the read-only admin otherwise withholds."""
        return request.user.has_perm("billing.change_payment")

    @admin.display(description="refunded")
    def refunded(self, payment: Payment) -> Decimal:
        return sum((row.amount for row in payment.refunds.all()), Decimal(0))

    @admin.action(description="Refund", permissions=["refund"])
    def refund(self, request, queryset):
        """First a page with the amounts to confirm; its submit comes back here with `confirm` and refunds."""
        selected = self._refundable(request, queryset)
        if not selected:
            return None
        form = RefundForm(selected, request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Refund payments",
                "form": form,
                "selected": selected,
            }
            return HttpResponse(_REFUND_PAGE.render(context, request))
        for payment in selected:
            self._refund_one(request, payment, form.cleaned_data[f"amount_{payment.pk}"])
        return None

    def _refundable(self, request, queryset) -> list[Payment]:
        """The selected payments with money left to refund; the others are named and left out."""
        selected = []
        for payment in queryset:
            if refunds.refundable(payment) > 0:
                selected.append(payment)
            else:
                self.message_user(request, f"{payment}: nothing left to refund.", messages.WARNING)
        return selected

    def _refund_one(self, request, payment: Payment, amount: Decimal) -> None:
        try:
            refunds.refund(payment=payment, amount=amount)
        except PaymentError as error:
            self.message_user(request, f"{payment}: {error}", messages.ERROR)
        else:
            self.message_user(request, f"{payment}: {amount} {payment.currency} refunded.")
