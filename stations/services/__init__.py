"""Writes about stations, one module per concept (the OCPP handlers call them with plain values)."""
