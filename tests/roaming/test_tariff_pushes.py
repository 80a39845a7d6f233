"""Tariff pushes: a published tariff created or edited in the admin is PUT to every tariffs receiver, one
that stops being published is DELETEd there, and a partner that registers gets every published tariff."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Tariff, TariffAssignment
from roaming import schemas
from roaming.models import Push
from roaming.services import registration
from stations.models import Location
from stations.services.connections import provision_station
from tests.billing.test_admin import STANDARD, tariff_form
from tests.roaming.fake_partner import VERSIONS_URL
from tests.roaming.ocpi_shapes import assert_ocpi
from tests.roaming.receivers import receivers  # noqa: F401 (fixture)
from tests.roaming.test_push_queue import partner

pytestmark = pytest.mark.django_db

ADD = reverse("admin:billing_tariff_add")


def change_url(tariff: Tariff) -> str:
    return reverse("admin:billing_tariff_change", args=[tariff.pk])


@pytest.fixture
def location(db):
    return Location.objects.create(name="Depot", latitude=52.5, longitude=13.4)


def assigned_to(location: Location, **fields) -> dict:
    """The tariff form with one general assignment (every driver) to `location`."""
    return {
        "assignments-TOTAL_FORMS": "1",
        "assignments-INITIAL_FORMS": "0",
        "assignments-0-location": str(location.pk),
        "assignments-0-evse": "",
        "assignments-0-connector": "",
        "assignments-0-group": "",
        **fields,
    }


def save(admin_client, capture, url, data):
    with capture(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def edit_form(tariff: Tariff, element: dict, **fields) -> dict:
    """The change form of a tariff with one element and one assignment, as saved, with these changes."""
    data = tariff_form(
        {"id": str(tariff.elements.get().pk), "tariff": str(tariff.pk), **element},
        **assigned_to(tariff.assignments.get().location),
        **fields,
    )
    data.update({"elements-INITIAL_FORMS": "1", "assignments-INITIAL_FORMS": "1"})
    data.update({"assignments-0-id": str(tariff.assignments.get().pk), "assignments-0-tariff": str(tariff.pk)})
    return data


def test_editing_a_published_tariff_puts_it_to_every_tariffs_receiver(
    admin_client, receivers, location, django_capture_on_commit_callbacks, eager_tasks
):
    first, second = partner("eMSP 1", modules=("locations", "tariffs")), partner("eMSP 2", modules=("tariffs",))
    partner("No tariffs", modules=("locations",))
    save(admin_client, django_capture_on_commit_callbacks, ADD, tariff_form(STANDARD, **assigned_to(location)))
    tariff = Tariff.objects.get()
    receivers.received.clear()

    data = edit_form(tariff, {"energy_price": "0.31", "energy_vat": "19"})
    save(admin_client, django_capture_on_commit_callbacks, change_url(tariff), data)

    calls = receivers.calls("tariffs")
    assert [(method, path) for method, path, _ in calls] == [("PUT", "DE/VST/STD"), ("PUT", "DE/VST/STD")]
    for _, _, body in calls:
        assert_ocpi(schemas.TARIFF, body)
        assert (body["country_code"], body["party_id"], body["id"], body["currency"]) == ("DE", "VST", "STD", "EUR")
        assert body["elements"] == [
            {"price_components": [{"type": "ENERGY", "price": 0.31, "step_size": 1, "vat": 19}]}
        ]
    sent = Push.objects.filter(module="tariffs", state="sent", method="PUT").values_list("partner", flat=True)
    assert sorted(sent) == sorted([first.pk, first.pk, second.pk, second.pk])  # the creation's and the edit's


def test_a_tariff_that_stops_being_published_is_deleted_where_it_was_put(
    admin_client, receivers, location, django_capture_on_commit_callbacks, eager_tasks
):
    partner("eMSP", modules=("tariffs",))
    save(admin_client, django_capture_on_commit_callbacks, ADD, tariff_form(STANDARD, **assigned_to(location)))
    assignment = TariffAssignment.objects.get()
    never_published = Tariff.objects.create(tariff_id="NEVER-PUBLISHED")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:billing_tariffassignment_delete", args=[assignment.pk]), {"post": "yes"})
        admin_client.post(reverse("admin:billing_tariff_delete", args=[never_published.pk]), {"post": "yes"})

    calls = receivers.calls("tariffs")
    assert [(m, p) for m, p, _ in calls] == [("PUT", "DE/VST/STD"), ("DELETE", "DE/VST/STD")]
    assert calls[1][2] is None  # a DELETE has no body; nothing went out for the tariff no partner ever got


def test_a_renamed_tariff_is_deleted_at_its_old_id_and_put_at_its_new_one(
    admin_client, receivers, location, django_capture_on_commit_callbacks, eager_tasks
):
    partner("eMSP", modules=("tariffs",))
    save(admin_client, django_capture_on_commit_callbacks, ADD, tariff_form(STANDARD, **assigned_to(location)))
    tariff = Tariff.objects.get()

    data = edit_form(tariff, STANDARD, tariff_id="STD-2026")
    save(admin_client, django_capture_on_commit_callbacks, change_url(tariff), data)

    assert [(m, p) for m, p, _ in receivers.calls("tariffs")] == [
        ("PUT", "DE/VST/STD"),
        ("DELETE", "DE/VST/STD"),
        ("PUT", "DE/VST/STD-2026"),
    ]


def test_a_partner_registering_gets_every_published_tariff(
    receivers, location, django_capture_on_commit_callbacks, eager_tasks
):
    published = Tariff.objects.create(tariff_id="PUBLISHED")
    published.elements.create(position=0).price_components.create(type="ENERGY", price=Decimal("0.40"))
    TariffAssignment.objects.create(tariff=published, location=location)
    Tariff.objects.create(tariff_id="ASSIGNED-NOWHERE")

    with django_capture_on_commit_callbacks(execute=True):
        registration.register_with_partner(name="eMSP", versions_url=VERSIONS_URL, token_a="token-b")

    calls = receivers.calls("tariffs")
    assert [(m, p) for m, p, _ in calls] == [("PUT", "DE/VST/PUBLISHED")]
    assert_ocpi(schemas.TARIFF, calls[0][2])


def test_assigning_a_tariff_to_a_location_puts_the_location_with_its_connectors_new_tariff_ids(
    admin_client, receivers, location, django_capture_on_commit_callbacks, eager_tasks
):
    """Connector.tariff_ids changed: the partner's copy of the location must say so, not only its tariffs."""
    provision_station(charge_point_id="CP-TARIFF", password="a-long-password", location=location, evse_count=1)
    partner("eMSP", modules=("locations", "tariffs"))
    save(admin_client, django_capture_on_commit_callbacks, ADD, tariff_form(STANDARD, **assigned_to(location)))

    [(method, path, body)] = receivers.calls("locations")
    assert (method, path) == ("PUT", f"DE/VST/{location.pk}")
    assert_ocpi(schemas.LOCATION, body)
    assert [c["tariff_ids"] for e in body["evses"] for c in e["connectors"]] == [["STD"]]

    receivers.received.clear()
    assignment = TariffAssignment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:billing_tariffassignment_delete", args=[assignment.pk]), {"post": "yes"})
    [(method, _, body)] = receivers.calls("locations")
    assert method == "PUT" and [c.get("tariff_ids", []) for e in body["evses"] for c in e["connectors"]] == [[]]
