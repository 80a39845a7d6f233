"""Live events about charging sessions."""

from csms.live import DASHBOARD_GROUP, driver_session_group, publish, station_group, transaction_group
from sessions.models import Transaction


def _summary(tx: Transaction) -> dict:
    return {
        "transaction_id": tx.pk,
        "station_id": tx.station_id,
        "connector_id": tx.connector_id,
        "status": tx.status,
        "energy_wh": tx.energy_wh,
        "power_w": tx.last_power_w,
        "soc_percent": tx.last_soc_percent,
        "started_at": tx.started_at.isoformat(),
        "stopped_at": tx.stopped_at.isoformat() if tx.stopped_at else None,
    }


def _groups(tx: Transaction) -> list[str]:
    return [transaction_group(tx.pk), station_group(tx.station_id), DASHBOARD_GROUP]


def transaction_started(tx: Transaction) -> None:
    publish(_groups(tx), {"type": "transaction_started", **_summary(tx)})


def meter_values(tx: Transaction) -> None:
    publish(_groups(tx), {"type": "meter_values", **_summary(tx)})


def transaction_stopped(tx: Transaction) -> None:
    publish(_groups(tx), {"type": "transaction_stopped", **_summary(tx)})


def driver_session_changed(session_id: int) -> None:
    """A driver session moved; its subscribers read and send its whole state."""
    publish([driver_session_group(session_id)], {"type": "session_changed", "session_id": session_id})
