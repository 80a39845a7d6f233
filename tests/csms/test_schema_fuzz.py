"""Any payload the schema allows, from a strict station, is stored safely or refused: never an InternalError.

Payloads are drawn from the official schemas of every message a charger
sends (tests/csms/ocpp_payloads.py), through the engine's whole inbound path
and the message log, on whichever database the run uses.
"""

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from ocpp.messages import get_validator

from stations.services.connections import provision_station
from tests.csms.engine_support import engine_for, exchange
from tests.csms.ocpp_payloads import payloads

FROM_CHARGERS = {
    "1.6": [
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
    ],
    "2.0.1": [
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyEvent",
        "NotifyReport",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "StatusNotification",
        "TransactionEvent",
    ],
}


@pytest.mark.parametrize("version, action", [(v, a) for v, actions in FROM_CHARGERS.items() for a in actions])
@pytest.mark.django_db(transaction=True)
def test_schema_valid_payload_is_never_an_internal_error(version, action, caplog):
    validator = get_validator(2, action, version)
    station = provision_station(charge_point_id=f"FUZZ-{action}"[:64], password="p" * 20, evse_count=2)
    engine, wire = engine_for(station, version)

    @settings(
        max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(payloads(validator.schema))
    def answer_is_not_an_internal_error(payload):
        assert not list(validator.iter_errors(payload))  # the strategy keeps to the schema
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            text = json.dumps([2, "fuzz", action, payload])
            reply = async_to_sync(exchange)(engine, wire, text)
        assert reply[0] == 3 or reply[2] != "InternalError", (text, caplog.text)
        assert not caplog.records, caplog.text  # no failed write anywhere, the message log's included

    answer_is_not_an_internal_error()
