"""Issue 10 item 4: the operator's switch for SoC sampling, per station with a network default."""

import pytest
from django.urls import reverse

from stations.models import NetworkSettings
from stations.selectors.connections import samples_soc
from stations.services.connections import provision_station

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "station, network, sampled", [(None, False, False), (None, True, True), (True, False, True), (False, True, False)]
)
def test_the_station_switch_wins_and_empty_follows_the_network(station, network, sampled):
    NetworkSettings.objects.update_or_create(pk=1, defaults={"sample_soc": network})
    cp = provision_station(charge_point_id="CP-SOC", password="x" * 16)
    cp.sample_soc = station
    cp.save()
    assert samples_soc(station_id=cp.pk) is sampled


def test_both_switches_are_edited_in_the_admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.com", "op-password-123"))
    cp = provision_station(charge_point_id="CP-SOC-ADMIN", password="x" * 16)
    settings = NetworkSettings.current()
    for url in (
        reverse("admin:stations_chargingstation_change", args=[cp.pk]),
        reverse("admin:stations_networksettings_change", args=[settings.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200 and b'name="sample_soc"' in page.content
