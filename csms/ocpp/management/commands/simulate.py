"""`manage.py simulate`: the simulator's own CLI (`python -m simulator`), run from the CSMS.

Thin on purpose: the options and the run are `simulator.cli`'s, which has no
Django in it. The one thing this adds is what only the CSMS's database knows:
each known station's EVSE count, so a simulated demo station reports every
EVSE the demo data gave it.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from simulator import cli
from stations.selectors.status import evse_counts


class Command(BaseCommand):
    help = cli.DESCRIPTION

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cli.run(options, write=self.stdout.write, known_connectors=lambda ids: evse_counts(charge_point_ids=ids))
