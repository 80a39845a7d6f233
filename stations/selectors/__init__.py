"""Reads about stations, one module per concept."""
