"""Operators edit tariffs here: elements with their restrictions and prices on one page,
where each tariff is assigned, and a preview of what it charges for sample sessions."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from billing.invoices import monthly
from billing.invoices.delivery import deliver, email_invoice, render_pdf
from billing.invoices.errors import InvoiceError, PaysByCard
from billing.invoices.pdf import money
from billing.models import (
    BillingAccount,
    ChargeDetailRecord,
    Invoice,
    InvoiceIssuer,
    InvoiceLine,
    Payment,
    PriceComponent,
    Refund,
    Tariff,
    TariffAssignment,
    TariffElement,
)
from billing.payments import refunds
from billing.payments.errors import PaymentError
from billing.preview import preview
from billing.tariffs import pricing_tariff
from stations.models import Location

_DIMENSIONS = [choice for choice, _ in PriceComponent.Type.choices]


def _component_field(dimension: str, part: str) -> str:
    return f"{dimension.lower()}_{part}"


def _component_form_fields() -> dict[str, forms.Field]:
    """(price, VAT, step size) for each dimension, declared on the form so the admin's fieldsets may list them."""
    fields = {}
    for dimension in _DIMENSIONS:
        label = PriceComponent.Type(dimension).label
        fields[_component_field(dimension, "price")] = forms.DecimalField(
            required=False, min_value=0, max_digits=12, decimal_places=4, label=f"{label}: price excl. VAT"
        )
        fields[_component_field(dimension, "vat")] = forms.DecimalField(
            required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2, label="VAT %"
        )
        fields[_component_field(dimension, "step_size")] = forms.IntegerField(
            required=False, min_value=1, label="step size"
        )
    return fields


class _ElementForm(forms.ModelForm):
    """An element with its price components as columns: one (price, VAT, step) per dimension."""

    class Meta:
        model = TariffElement
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for component in self.instance.price_components.all():
                for part in ("price", "vat", "step_size"):
                    self.initial[_component_field(component.type, part)] = getattr(component, part)

    def clean(self):
        data = super().clean()
        for dimension in _DIMENSIONS:
            price = data.get(_component_field(dimension, "price"))
            if price is None and any(
                data.get(_component_field(dimension, p)) is not None for p in ("vat", "step_size")
            ):
                self.add_error(_component_field(dimension, "price"), "Give a price, or clear VAT and step size.")
        if not any(data.get(_component_field(d, "price")) is not None for d in _DIMENSIONS) and not data.get("DELETE"):
            raise forms.ValidationError("An element needs at least one price.")
        return data

    def save(self, commit=True):
        element = super().save(commit=commit)
        if commit:
            self._save_components(element)
        else:
            save_m2m = self.save_m2m
            self.save_m2m = lambda: (save_m2m(), self._save_components(element))
        return element

    def _save_components(self, element: TariffElement) -> None:
        for dimension in _DIMENSIONS:
            price = self.cleaned_data.get(_component_field(dimension, "price"))
            if price is None:
                element.price_components.filter(type=dimension).delete()
                continue
            element.price_components.update_or_create(
                type=dimension,
                defaults={
                    "price": price,
                    "vat": self.cleaned_data.get(_component_field(dimension, "vat")),
                    "step_size": self.cleaned_data.get(_component_field(dimension, "step_size")) or 1,
                },
            )


TariffElementForm = type("TariffElementForm", (_ElementForm,), _component_form_fields())


class TariffElementInline(admin.StackedInline):
    model = TariffElement
    form = TariffElementForm
    extra = 0
    fieldsets = [
        (None, {"fields": ["position"]}),
        (
            "Prices (a dimension left empty is not charged by this element)",
            {
                "fields": [tuple(_component_field(d, p) for p in ("price", "vat", "step_size")) for d in _DIMENSIONS],
            },
        ),
        (
            "Restrictions (all that are set must match; local time of the location)",
            {
                "fields": [
                    ("start_time", "end_time"),
                    ("start_date", "end_date"),
                    "day_of_week",
                    ("min_kwh", "max_kwh"),
                    ("min_current", "max_current"),
                    ("min_power", "max_power"),
                    ("min_duration", "max_duration"),
                    "reservation",
                ],
            },
        ),
    ]


class TariffAssignmentInline(admin.TabularInline):
    model = TariffAssignment
    extra = 0
    raw_id_fields = ["evse", "connector"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened with money (invoices, payments): shown, never edited by hand;
    actions that change them (send again, refund) go through the services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["tariff_id", "currency", "type", "start_date_time", "end_date_time", "updated_at"]
    list_filter = ["currency", "type"]
    search_fields = ["tariff_id"]
    readonly_fields = ["preview"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [TariffElementInline, TariffAssignmentInline]
    fieldsets = [
        (None, {"fields": ["tariff_id", "currency", "type", ("start_date_time", "end_date_time")]}),
        (
            "Limits",
            {"fields": [("min_price_excl_vat", "min_price_incl_vat"), ("max_price_excl_vat", "max_price_incl_vat")]},
        ),
        ("Texts for drivers", {"fields": ["alt_text", "alt_url"]}),
        ("Preview", {"fields": ["preview"]}),
    ]

    @admin.display(description="What sample sessions cost")
    def preview(self, tariff: Tariff) -> str:
        if not tariff.pk:
            return "Save the tariff to see what it charges."
        time_zone = _preview_time_zone(tariff)
        rows = [
            (
                sample.label,
                cdr.total_energy_cost.incl_vat,
                cdr.total_time_cost.incl_vat + cdr.total_parking_cost.incl_vat,
                cdr.total_fixed_cost.incl_vat,
                cdr.total_cost.excl_vat,
                cdr.total_cost.incl_vat,
            )
            for sample, cdr in preview(pricing_tariff(tariff), time_zone=time_zone, today=timezone.now().date())
        ]
        body = format_html_join("", "<tr>" + "<td>{}</td>" * 5 + "<td><b>{}</b></td></tr>", rows)
        return format_html(
            '<table class="tariff-preview"><thead><tr><th>session ({})</th><th>energy</th><th>time and parking</th>'
            "<th>fixed</th><th>total excl. VAT</th><th>total incl. VAT</th></tr></thead><tbody>{}</tbody></table>"
            "<p>Priced by the engine as saved; amounts in {}, parts incl. VAT.</p>",
            time_zone,
            body,
            tariff.currency,
        )


def _preview_time_zone(tariff: Tariff) -> str:
    """The time zone of a location the tariff is assigned to, else the default locations get."""
    assignment = tariff.assignments.select_related(
        "location", "evse__station__location", "connector__evse__station__location"
    ).first()
    location = None
    if assignment:
        location = (
            assignment.location or (assignment.evse or getattr(assignment.connector, "evse", None)).station.location
        )
    return location.time_zone if location else Location._meta.get_field("time_zone").default


@admin.register(TariffAssignment)
class TariffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["tariff", "location", "evse", "connector", "group"]
    list_filter = ["group"]
    list_select_related = ["tariff", "location", "evse__station", "connector__evse__station", "group"]
    raw_id_fields = ["evse", "connector"]
    search_fields = [
        "tariff__tariff_id",
        "location__name",
        "evse__station__charge_point_id",
        "connector__evse__station__charge_point_id",
    ]


@admin.register(ChargeDetailRecord)
class ChargeDetailRecordAdmin(admin.ModelAdmin):
    """Sealed records: shown, never edited."""

    list_display = [
        "transaction",
        "tariff",
        "start_date_time",
        "end_date_time",
        "total_energy_kwh",
        "total_cost_incl_vat",
        "currency",
    ]
    list_select_related = ["tariff"]
    search_fields = ["transaction__id", "tariff__tariff_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="energy (kWh)")
    def total_energy_kwh(self, record: ChargeDetailRecord) -> Decimal:
        return Decimal(record.total_energy_wh) / 1000


@admin.register(InvoiceIssuer)
class InvoiceIssuerAdmin(admin.ModelAdmin):
    """The name, address and VAT id printed on new invoices (issued ones keep their PDF)."""

    list_display = ["name", "vat_id", "invoice_prefix", "time_zone", "is_default"]


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    """How a driver pays, and the name and address their invoices are addressed to."""

    list_display = ["driver", "pays_by_invoice", "name"]
    list_filter = ["pays_by_invoice"]
    raw_id_fields = ["driver"]
    search_fields = ["driver__username", "driver__email", "name"]
    fields = ["driver", "pays_by_invoice", "name", "address"]
    actions = ["close_period"]

    def has_close_period_permission(self, request) -> bool:
        """Closing a period issues an invoice."""
        return request.user.has_perm("billing.add_invoice")

    @admin.action(description="Close the period now: invoice what is not invoiced yet", permissions=["close_period"])
    def close_period(self, request, queryset) -> None:
        """The month's own invoice later continues from here, so nothing is billed twice."""
        for account in queryset.select_related("driver"):
            try:
                invoice = monthly.close_period(driver=account.driver)
            except PaysByCard as error:
                self.message_user(request, f"{account.driver}: {error}", messages.WARNING)
                continue
            except InvoiceError as error:
                self.message_user(request, f"{account.driver}: {error}", messages.ERROR)
                continue
            if invoice is None:
                self.message_user(request, f"{account.driver}: nothing left to invoice this month.", messages.WARNING)
                continue
            deliver(invoice)
            self.message_user(
                request,
                f"{account.driver}: invoice {invoice.number} issued, {money(invoice.total_incl_vat, invoice.currency)}.",
            )


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = [
        "position",
        "description",
        "quantity",
        "unit",
        "amount_excl_vat",
        "vat_rate",
        "amount_incl_vat",
        "charge_detail_record",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Issued invoices are shown, never edited; the PDF opens from here, and an invoice can be e-mailed again."""

    list_display = [
        "number",
        "driver",
        "kind",
        "period_start",
        "period_end",
        "issued_at",
        "total_incl_vat",
        "currency",
        "emailed_at",
        "pdf_link",
    ]
    list_filter = ["kind", "currency"]
    list_select_related = ["driver"]
    search_fields = ["number", "driver__username", "driver__email"]
    date_hierarchy = "issued_at"
    exclude = ["pdf"]
    readonly_fields = ["pdf_link"]
    inlines = [InvoiceLineInline]
    actions = ["send_again"]

    def has_send_permission(self, request) -> bool:
        """Sending is a change to what the driver has received, so it takes the change permission."""
        return request.user.has_perm("billing.change_invoice")

    def get_urls(self):
        pdf = path("<int:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf")
        return [pdf, *super().get_urls()]

    def pdf_view(self, request, invoice_id: int) -> FileResponse:
        """Served through the admin (no MEDIA_URL): only staff who may view invoices get the file."""
        if not self.has_view_permission(request):
            raise Http404
        invoice = render_pdf(get_object_or_404(Invoice, pk=invoice_id))
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf")

    @admin.display(description="PDF")
    def pdf_link(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="{}">{}.pdf</a>', reverse("admin:billing_invoice_pdf", args=[invoice.pk]), invoice.number
        )

    @admin.action(description="Send again by e-mail", permissions=["send"])
    def send_again(self, request, queryset) -> None:
        for invoice in queryset.select_related("driver", "issuer"):
            try:
                email_invoice(invoice)
            except InvoiceError as error:
                self.message_user(request, f"{invoice.number}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{invoice.number} sent to {invoice.driver.email}.")


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
        "created_at",
    ]
    list_filter = ["status", "currency"]
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
