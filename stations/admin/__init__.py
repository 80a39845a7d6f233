"""The stations' admin, by concept: stations and their EVSEs (stations.py), the commands an
operator sends to chargers (commands.py, command_forms.py), what stations reported (events.py).
Importing the package registers them all."""

from stations.admin import events, stations  # noqa: F401  (each module registers its ModelAdmins)
