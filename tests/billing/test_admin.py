"""Operators edit tariffs in the admin: elements and prices on one page, validation, a preview."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import PriceComponent, Tariff

pytestmark = pytest.mark.django_db

EMPTY_ELEMENT = {
    "position": "0",
    "start_time": "",
    "end_time": "",
    "start_date": "",
    "end_date": "",
    "day_of_week": "[]",
    "reservation": "",
}


@pytest.fixture
def operator_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.com", "op-password-123"))
    return client


def tariff_form(*elements: dict, **fields) -> dict:
    data = {
        "tariff_id": "STD",
        "currency": "EUR",
        "type": "",
        "alt_text": "[]",
        "alt_url": "",
        "elements-TOTAL_FORMS": str(len(elements)),
        "elements-INITIAL_FORMS": "0",
        "elements-MIN_NUM_FORMS": "0",
        "elements-MAX_NUM_FORMS": "1000",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, element in enumerate(elements):
        data.update({f"elements-{i}-{name}": value for name, value in {**EMPTY_ELEMENT, **element}.items()})
    return data


STANDARD = {
    "flat_price": "0.50",
    "flat_vat": "20",
    "energy_price": "0.25",
    "energy_vat": "10",
    "parking_time_price": "2.00",
    "parking_time_vat": "20",
    "parking_time_step_size": "900",
}


def test_a_tariff_with_its_prices_is_created_on_one_page_and_previewed(operator_client):
    response = operator_client.post(reverse("admin:billing_tariff_add"), tariff_form(STANDARD))
    assert response.status_code == 302, response.content.decode()[:2000]
    tariff = Tariff.objects.get(tariff_id="STD")
    components = {c.type: (c.price, c.vat, c.step_size) for c in PriceComponent.objects.filter(element__tariff=tariff)}
    assert components == {
        "FLAT": (Decimal("0.50"), Decimal("20"), 1),
        "ENERGY": (Decimal("0.25"), Decimal("10"), 1),
        "PARKING_TIME": (Decimal("2.00"), Decimal("20"), 900),
    }
    page = operator_client.get(reverse("admin:billing_tariff_change", args=[tariff.pk])).content.decode()
    # 11 kWh: 2.75 + 0.50 = 3.25 (3.63 incl.); 50 kWh: 13.00 (14.35); 20 kWh and 6 h parked: 17.50 (20.50)
    for amount in ("3.25", "3.63", "13.00", "14.35", "17.50", "20.50"):
        assert f">{amount}<" in page or f"<b>{amount}</b>" in page, amount
    assert 'value="0.2500"' in page  # the element's energy price is shown for editing


def test_editing_an_element_replaces_and_removes_its_components(operator_client):
    operator_client.post(reverse("admin:billing_tariff_add"), tariff_form(STANDARD))
    tariff = Tariff.objects.get()
    element = tariff.elements.get()
    data = tariff_form({"id": str(element.pk), "tariff": str(tariff.pk), "energy_price": "0.30", "energy_vat": "19"})
    data["elements-INITIAL_FORMS"] = "1"
    response = operator_client.post(reverse("admin:billing_tariff_change", args=[tariff.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(element.price_components.values_list("type", "price", "vat")) == [
        ("ENERGY", Decimal("0.3000"), Decimal("19.00"))
    ]


@pytest.mark.parametrize(
    ("fields", "element", "message"),
    [
        (
            {"min_price_excl_vat": "5", "max_price_excl_vat": "2"},
            STANDARD,
            "The maximum price is below the minimum price.",
        ),
        ({}, {**STANDARD, "energy_step_size": "0"}, "Ensure this value is greater than or equal to 1."),
        ({}, {**STANDARD, "start_time": "25:00"}, "is not a time of day as HH:MM"),
        ({}, {**STANDARD, "min_kwh": "50", "max_kwh": "20"}, "max_kwh is below min_kwh."),
        ({}, {"energy_vat": "19"}, "An element needs at least one price."),
        ({}, {**STANDARD, "day_of_week": '["FUNDAY"]'}, "List days among MONDAY"),
        ({"currency": "eur"}, STANDARD, "An ISO 4217 code"),
    ],
)
def test_invalid_tariffs_are_refused_with_a_reason(operator_client, fields, element, message):
    response = operator_client.post(reverse("admin:billing_tariff_add"), tariff_form(element, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Tariff.objects.exists()


def test_a_tariff_without_energy_or_time_prices_is_allowed(operator_client):
    response = operator_client.post(
        reverse("admin:billing_tariff_add"), tariff_form({"flat_price": "1.00", "flat_vat": "19"})
    )
    assert response.status_code == 302
    page = operator_client.get(reverse("admin:billing_tariff_change", args=[Tariff.objects.get().pk])).content.decode()
    assert "<b>1.19</b>" in page


def test_assignment_and_record_lists_render(operator_client):
    for name in ("billing_tariffassignment", "billing_chargedetailrecord", "billing_tariff"):
        assert operator_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
