"""The channel-layer group through which any process reaches the consumer holding a station's socket."""


def control_group(station_id: int) -> str:
    """The group of the consumer(s) holding a station's socket; not the live-events group."""
    return f"ocpp.{station_id}"
