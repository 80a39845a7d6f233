from django.core.management.base import BaseCommand

from stations.models import ChargingStation
from stations.services.connections import provision_station


class Command(BaseCommand):
    help = "Create accepted stations <prefix>0001.. with one HTTP Basic password (simulators, benchmarks)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--prefix", default="SIM-")
        parser.add_argument("--count", type=int, default=10)
        parser.add_argument("--password", required=True)
        parser.add_argument("--connectors", type=int, default=1, help="EVSEs per station")

    def handle(self, *args, prefix: str, count: int, password: str, connectors: int, **options) -> None:
        created = 0
        for number in range(1, count + 1):
            charge_point_id = f"{prefix}{number:04d}"
            if ChargingStation.objects.filter(charge_point_id=charge_point_id).exists():
                continue
            provision_station(charge_point_id=charge_point_id, password=password, evse_count=connectors)
            created += 1
        self.stdout.write(f"{created} station(s) created, {count - created} already existed")
