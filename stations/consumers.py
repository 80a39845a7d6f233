"""Placeholder until the station-status stream lands."""
from channels.generic.websocket import AsyncWebsocketConsumer


class StationStatusConsumer(AsyncWebsocketConsumer):
    pass
