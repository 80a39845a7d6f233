"""A site to balance and what it is made of: its fuse tree, its EVSEs' wiring and bounds, the loads it cannot
control, the priorities of driver groups and sessions, and each EVSE's last allocation.

The allocator (smartcharging.allocation) works on frozen values; these rows are what an operator enters and
what a re-plan read and decided (smartcharging.selectors builds the values, smartcharging.services writes).
Currents are in A per phase, powers in kW, as the allocator takes them.
"""

from django.contrib.auth.models import Group
from django.core.validators import MinValueValidator
from django.db import models

from smartcharging.allocation import AC_MIN_CURRENT_A


class BalancedSite(models.Model):
    """A location whose EVSEs share one grid connection: the root of its fuse tree."""

    location = models.OneToOneField("stations.Location", on_delete=models.CASCADE, related_name="balanced_site")
    enabled = models.BooleanField(default=True, help_text="Off: its EVSEs get no profiles from the balancer")
    limit_a = models.FloatField(null=True, blank=True, help_text="Grid connection limit, A on each phase")
    limit_kw = models.FloatField(null=True, blank=True, help_text="Grid connection limit, kW over the phases")
    buffer_a = models.FloatField(default=2.0, help_text="Headroom above an under-drawing car's measured current")
    observation_s = models.PositiveIntegerField(
        default=60, help_text="A car drawing less than its limit for this long is held near what it draws"
    )
    voltage_v = models.FloatField(default=230.0, help_text="Nominal phase voltage, for kW limits and DC EVSEs")

    def __str__(self) -> str:
        return f"Site {self.location}"


class Circuit(models.Model):
    """A fuse or breaker below the grid connection (a feeder, a station's supply); no parent: on the grid."""

    site = models.ForeignKey(BalancedSite, on_delete=models.CASCADE, related_name="circuits")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(max_length=64)
    limit_a = models.FloatField(null=True, blank=True, help_text="A on each phase")
    limit_kw = models.FloatField(null=True, blank=True)
    station = models.OneToOneField(
        "stations.ChargingStation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supply_circuit",
        help_text="This circuit is that station's own supply: its limit is sent as the station's max profile",
    )
    station_max_answer = models.CharField(max_length=255, blank=True, help_text="What the station answered it")

    def __str__(self) -> str:
        return self.name


class Rotation(models.TextChoices):
    """Which site phases the EVSE's own L1, L2, L3 are wired to."""

    L123 = "L1,L2,L3"
    L231 = "L2,L3,L1"
    L312 = "L3,L1,L2"


class ControlledEvse(models.Model):
    """An EVSE of a balanced site: where it hangs, how it is wired, what it may draw, what the operator decided."""

    evse = models.OneToOneField("stations.Evse", on_delete=models.CASCADE, related_name="smart_charging")
    site = models.ForeignKey(BalancedSite, on_delete=models.CASCADE, related_name="evses")
    circuit = models.ForeignKey(
        Circuit, null=True, blank=True, on_delete=models.SET_NULL, related_name="evses", help_text="Empty: the grid"
    )
    phases = models.PositiveSmallIntegerField(default=3, choices=[(1, "1"), (3, "3")])
    rotation = models.CharField(max_length=8, choices=Rotation.choices, default=Rotation.L123)
    min_a = models.FloatField(default=AC_MIN_CURRENT_A, validators=[MinValueValidator(AC_MIN_CURRENT_A)])
    max_a = models.FloatField(default=32.0)
    dc = models.BooleanField(default=False, help_text="DC: limited in kW (min_kw, max_kw)")
    min_kw = models.FloatField(default=0.0)
    max_kw = models.FloatField(default=0.0)
    excluded = models.BooleanField(default=False, help_text="The operator takes it out: counted at its maximum")
    override_limit = models.FloatField(
        null=True, blank=True, help_text="The operator's cap (A, or kW for DC), below its maximum"
    )

    class Meta:
        verbose_name = "controlled EVSE"

    def __str__(self) -> str:
        return str(self.evse)


class UncontrolledLoad(models.Model):
    """A load the balancer cannot steer (the building, a heat pump): its maximum is taken off its circuit."""

    site = models.ForeignKey(BalancedSite, on_delete=models.CASCADE, related_name="loads")
    circuit = models.ForeignKey(Circuit, null=True, blank=True, on_delete=models.CASCADE, related_name="loads")
    name = models.CharField(max_length=64)
    max_a = models.FloatField(help_text="A on each phase")

    def __str__(self) -> str:
        return self.name


class GroupPriority(models.Model):
    """Drivers in this group are served first (higher first); a driver in several groups takes the highest."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="charging_priority")
    priority = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "group priorities"

    def __str__(self) -> str:
        return f"{self.group}: {self.priority}"


class SessionPriority(models.Model):
    """An operator's priority for one running transaction, over its driver's groups."""

    transaction = models.OneToOneField("charging.Transaction", on_delete=models.CASCADE, related_name="priority")
    priority = models.IntegerField()


class AllocationStatus(models.TextChoices):
    CHARGING = "charging"
    WAITING = "waiting"
    IDLE = "idle"
    UNCONTROLLED = "uncontrolled"


class EvseAllocation(models.Model):
    """The last re-plan's decision for an EVSE, and the profile last sent to its charger with the answer."""

    evse = models.OneToOneField(ControlledEvse, on_delete=models.CASCADE, related_name="allocation")
    status = models.CharField(max_length=16, choices=AllocationStatus.choices)
    limit = models.FloatField(null=True, blank=True, help_text="A per phase (AC) or kW (DC)")
    reason = models.CharField(max_length=255, blank=True)
    decided_at = models.DateTimeField()
    sent_limit = models.FloatField(null=True, blank=True, help_text="The limit of the TxProfile last sent")
    sent_transaction = models.ForeignKey(
        "charging.Transaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=255, blank=True, help_text="What the charger answered the last profile")
    refused_transaction = models.ForeignKey(
        "charging.Transaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="It refused (or could not take) a profile for this transaction: uncontrollable until it ends",
    )
    default_limit = models.FloatField(null=True, blank=True, help_text="The safe TxDefaultProfile sent at connection")
    default_answer = models.CharField(max_length=255, blank=True)
