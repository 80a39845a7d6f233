"""The operators' door: live web pages of the network for staff (overview, map, stations, sessions, alerts, analytics)."""
