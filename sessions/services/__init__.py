"""Writes behind a charging session, one module per concept (the OCPP handlers call them with plain values)."""
