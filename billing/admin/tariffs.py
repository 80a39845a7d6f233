"""Operators edit tariffs here: elements with their restrictions and prices on one page,
where each tariff is assigned, and a preview of what it charges for sample sessions."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from billing.events import tariff_changed
from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from billing.preview import preview
from billing.selectors import assigned_location_ids
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

    def save_related(self, request, form, formsets, change) -> None:
        """Once its elements, prices and assignments are saved too, the tariff's change is announced, with
        the locations an assignment was added to, moved from or to, or removed from."""
        tariff = form.instance
        moved = any(formset.model is TariffAssignment and formset.has_changed() for formset in formsets)
        before = assigned_location_ids(tariff.assignments.all()) if moved else set()
        super().save_related(request, form, formsets, change)
        after = assigned_location_ids(tariff.assignments.all()) if moved else set()
        tariff_changed(tariff_pk=tariff.pk, tariff_id=tariff.tariff_id, location_ids=before | after)

    def delete_model(self, request, obj: Tariff) -> None:
        pk, tariff_id, locations = obj.pk, obj.tariff_id, assigned_location_ids(obj.assignments.all())
        super().delete_model(request, obj)
        tariff_changed(tariff_pk=pk, tariff_id=tariff_id, location_ids=locations)

    def delete_queryset(self, request, queryset) -> None:
        gone = [(t.pk, t.tariff_id, assigned_location_ids(t.assignments.all())) for t in queryset]
        super().delete_queryset(request, queryset)
        for pk, tariff_id, locations in gone:
            tariff_changed(tariff_pk=pk, tariff_id=tariff_id, location_ids=locations)

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

    def save_model(self, request, obj: TariffAssignment, form, change) -> None:
        """Where a tariff applies decides whether partners see it: announce the tariff (and the one it
        was moved from)."""
        this = TariffAssignment.objects.filter(pk=obj.pk)
        before = this.values_list("tariff_id", flat=True).first()
        locations = assigned_location_ids(this)
        super().save_model(request, obj, form, change)
        locations |= assigned_location_ids(this)
        for tariff in Tariff.objects.filter(pk__in={before, obj.tariff_id} - {None}):
            tariff_changed(tariff_pk=tariff.pk, tariff_id=tariff.tariff_id, location_ids=locations)

    def delete_model(self, request, obj: TariffAssignment) -> None:
        locations = assigned_location_ids(TariffAssignment.objects.filter(pk=obj.pk))
        super().delete_model(request, obj)
        tariff_changed(tariff_pk=obj.tariff.pk, tariff_id=obj.tariff.tariff_id, location_ids=locations)

    def delete_queryset(self, request, queryset) -> None:
        tariffs = [
            (tariff, assigned_location_ids(queryset.filter(tariff=tariff)))
            for tariff in Tariff.objects.filter(pk__in=queryset.values("tariff_id"))
        ]
        super().delete_queryset(request, queryset)
        for tariff, locations in tariffs:
            tariff_changed(tariff_pk=tariff.pk, tariff_id=tariff.tariff_id, location_ids=locations)

    search_fields = [
        "tariff__tariff_id",
        "location__name",
        "evse__station__charge_point_id",
        "connector__evse__station__charge_point_id",
    ]
