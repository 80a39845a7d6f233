"""Lifecycle events of billing, for whatever hangs on them (roaming sends a sealed session's CDR).

Published through csms.lifecycle once the change commits; subscribers are registered in their app's
AppConfig.ready(), and billing never imports them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ChargeDetailRecordSealed:
    """A stopped session's charge detail record is sealed: its totals are final.

    Published each time the seal step runs for a session that has a record (a resumed chain runs it again),
    so a subscriber acts once per record, keyed by `record_id`, and never misses one to a crash between the
    seal and the publish."""

    transaction_id: int
    record_id: int
