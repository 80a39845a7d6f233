"""A driver's id tokens: the app token, RFID cards registered and removed."""

import pytest

from sessions.models import IdTag
from tests.api_fixtures import client_for, driver, other_driver  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_new_driver_holds_the_app_token(driver):
    tokens = client_for(driver).get("/api/v1/id-tokens").json()
    assert [(t["type"], t["status"]) for t in tokens] == [("APP_USER", "Accepted")]


def test_cards_are_registered_once_and_removal_blocks_them(driver, other_driver):
    client = client_for(driver)
    card = client.post("/api/v1/id-tokens", {"uid": "04a1b2c3d4"}, format="json")
    assert card.status_code == 201 and (card.json()["uid"], card.json()["type"]) == ("04A1B2C3D4", "RFID")
    taken = client_for(other_driver).post("/api/v1/id-tokens", {"uid": "04A1B2C3D4"}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "id_token_taken")

    assert client_for(other_driver).delete(f"/api/v1/id-tokens/{card.json()['id']}").status_code == 404
    assert client.delete(f"/api/v1/id-tokens/{card.json()['id']}").status_code == 204
    removed = IdTag.objects.get(id_tag="04A1B2C3D4")
    assert (removed.owner, removed.status) == (None, "Blocked")
    assert [t["type"] for t in client.get("/api/v1/id-tokens").json()] == ["APP_USER"]


def test_bad_uids_and_the_app_token_are_refused(driver):
    client = client_for(driver)
    bad = client.post("/api/v1/id-tokens", {"uid": "not hex!"}, format="json")
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["uid"]
    app_token = client.get("/api/v1/id-tokens").json()[0]
    refused = client.delete(f"/api/v1/id-tokens/{app_token['id']}")
    assert (refused.status_code, refused.json()["code"]) == (409, "app_token_not_removable")
