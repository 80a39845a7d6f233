"""Locations, charging stations, EVSEs, connectors and what they report."""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models


class Location(models.Model):
    """A site with an address; its time zone prices and schedules sessions."""

    name = models.CharField(max_length=255)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=3, default="DEU", help_text="ISO 3166-1 alpha-3")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    time_zone = models.CharField(max_length=64, default="Europe/Berlin")
    opening_hours = models.JSONField(default=dict, blank=True, help_text="OCPI Hours object; empty means 24/7")
    max_power_w = models.PositiveIntegerField(
        "grid limit (W)",
        null=True,
        blank=True,
        help_text="What the site's grid connection may draw, in W; empty: no limit. "
        "The dashboard shows the site's power against it; smart charging will fill in the allocation.",
    )
    # When the row last changed: roaming partners pull what changed since (OCPI last_updated, date_from).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Station search prefilters by a latitude/longitude bounding box.
        indexes = [models.Index(fields=["latitude", "longitude"], name="location_lat_lon")]

    def __str__(self) -> str:
        return self.name


class NetworkSettings(models.Model):
    """Operator-wide switches, edited in the admin; a single row."""

    auto_register_stations = models.BooleanField(
        default=False,
        help_text="Let unknown charge point ids connect; they are created Pending until accepted.",
    )
    sample_soc = models.BooleanField(
        "sample SoC",
        default=False,
        help_text="Make every station sample the EV's state of charge (SoC) in its meter values, "
        "set after each boot; a station's own setting overrides this.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "network settings"

    def __str__(self) -> str:
        return "Network settings"

    @classmethod
    def current(cls) -> "NetworkSettings":
        return cls.objects.get_or_create(pk=1)[0]


class RegistrationStatus(models.TextChoices):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ChargingStation(models.Model):
    """A charger, known by the charge point id it connects with."""

    charge_point_id = models.CharField(max_length=64, unique=True)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations")
    registration_status = models.CharField(
        max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.ACCEPTED
    )
    password_hash = models.CharField(max_length=256, blank=True)
    lenient = models.BooleanField(
        default=False,
        help_text="Accept frames that bend the OCPP schema (recorded as deviations) instead of rejecting them.",
    )
    auto_registered = models.BooleanField(default=False)
    sample_soc = models.BooleanField(
        "sample SoC",
        null=True,
        blank=True,
        help_text="Make the station sample the EV's state of charge (SoC), set after each boot; "
        "empty: as the network settings say.",
    )

    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField(max_length=50, blank=True)
    charge_box_serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    iccid = models.CharField(max_length=20, blank=True)
    imsi = models.CharField(max_length=20, blank=True)
    meter_type = models.CharField(max_length=25, blank=True)
    meter_serial_number = models.CharField(max_length=25, blank=True)

    ocpp_version = models.CharField(max_length=8, blank=True)
    heartbeat_interval = models.PositiveIntegerField(null=True, blank=True)
    last_boot_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The channel name of the consumer holding the socket; empty when offline.
    connection_channel = models.CharField(max_length=128, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=20, blank=True, help_text="Connector 0: the station as a whole")
    error_code = models.CharField(max_length=50, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    status_by_arrival = models.BooleanField(
        default=False,
        help_text="status_updated_at is when we received the status: the station's clock could not be trusted",
    )
    clock_skew_seconds = models.BigIntegerField(  # a clock at 2099 is billions of seconds ahead
        null=True,
        blank=True,
        help_text="The charger's clock minus ours when it last reported a time we could not trust; empty while it keeps time",
    )

    firmware_status = models.CharField(max_length=32, blank=True)
    firmware_status_at = models.DateTimeField(null=True, blank=True)
    diagnostics_status = models.CharField(max_length=32, blank=True)
    diagnostics_status_at = models.DateTimeField(null=True, blank=True)
    local_list_version = models.IntegerField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # What the operators' roles grant beyond editing (csms/migrations/0001_roles.py).
        permissions = [
            ("command_station", "Can send commands to charging stations"),
            ("accept_station", "Can accept or reject charging stations"),
        ]

    def __str__(self) -> str:
        return self.charge_point_id

    @property
    def is_connected(self) -> bool:
        return bool(self.connection_channel)

    def set_password(self, raw_password: str) -> None:
        self.password_hash = make_password(raw_password, hasher="pbkdf2_sha256_station")

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password_hash) and check_password(raw_password, self.password_hash)


class Evse(models.Model):
    """An EVSE: one charging point that serves one vehicle at a time.

    OCPP 1.6 connector N maps to EVSE N with a single connector 1; OCPP 2.0.1
    reports EVSE and connector ids itself.
    """

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="evses")
    number = models.PositiveIntegerField("EVSE", help_text="The EVSE's number on its station (OCPP evseId)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "number"], name="unique_evse_per_station")]
        ordering = ["station", "number"]

    def __str__(self) -> str:
        return f"{self.station} EVSE {self.number}"


class ConnectorStatus(models.TextChoices):
    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"

    # What a status means, decided here once for every app that asks (OCPP 1.6 §4.9, 2.0.1 OCCUPIED).

    @classmethod
    def suspended(cls) -> frozenset["ConnectorStatus"]:
        """An EV connected in a charging session that the EV or the EVSE holds back: no energy flows."""
        return frozenset({cls.SUSPENDED_EV, cls.SUSPENDED_EVSE})

    @classmethod
    def charging(cls) -> frozenset["ConnectorStatus"]:
        """A charging session runs here: energy flows, or is held back for now."""
        return frozenset({cls.CHARGING}) | cls.suspended()

    @classmethod
    def plugged_in_idle(cls) -> frozenset["ConnectorStatus"]:
        """A vehicle plugged in outside charging: before it starts (Preparing), after it ended
        (Finishing), or in 2.0.1, which says only Occupied."""
        return frozenset({cls.PREPARING, cls.FINISHING, cls.OCCUPIED})

    @classmethod
    def in_use(cls) -> frozenset["ConnectorStatus"]:
        """A vehicle is at the connector, charging or not."""
        return cls.charging() | cls.plugged_in_idle()

    @classmethod
    def held_by_a_vehicle(cls) -> frozenset["ConnectorStatus"]:
        """In use by a vehicle whose session runs or just ended: nobody else can start here.
        Preparing is not: plugged in and waiting for an authorization is the moment to start."""
        return cls.in_use() - {cls.PREPARING}

    @classmethod
    def ev_idle_in_session(cls) -> frozenset["ConnectorStatus"]:
        """The EV connected and drawing nothing while its session lasts: held back, or Finishing
        (done, not yet unplugged). Within a transaction this is OCPI's parking time."""
        return cls.suspended() | {cls.FINISHING}

    @classmethod
    def without_transaction(cls) -> frozenset["ConnectorStatus"]:
        """What a charger reports for an EVSE on which it runs no transaction: Available, or
        Preparing (plugged in, waiting for an authorization)."""
        return frozenset({cls.AVAILABLE, cls.PREPARING})

    @classmethod
    def out_of_service(cls) -> frozenset["ConnectorStatus"]:
        """Nobody can charge here (for connector 0: anywhere on the station) until it is back."""
        return frozenset({cls.UNAVAILABLE, cls.FAULTED})


class ConnectorType(models.TextChoices):
    """OCPI 2.2.1 ConnectorType values for the plugs we meet most."""

    TYPE2 = "IEC_62196_T2", "Type 2"
    TYPE2_CABLE = "IEC_62196_T2_COMBO", "CCS2"
    CHADEMO = "CHADEMO", "CHAdeMO"
    TYPE1 = "IEC_62196_T1", "Type 1"
    CCS1 = "IEC_62196_T1_COMBO", "CCS1"
    DOMESTIC_F = "DOMESTIC_F", "Schuko"


class ConnectorFormat(models.TextChoices):
    """OCPI 2.2.1 ConnectorFormat: a socket the driver plugs a cable into, or a cable fixed to the charger."""

    SOCKET = "SOCKET", "Socket"
    CABLE = "CABLE", "Tethered cable"


class PowerType(models.TextChoices):
    """OCPI 2.2.1 PowerType."""

    AC_1_PHASE = "AC_1_PHASE", "AC, 1 phase"
    AC_2_PHASE = "AC_2_PHASE", "AC, 2 phases"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT", "AC, 2 phases (split)"
    AC_3_PHASE = "AC_3_PHASE", "AC, 3 phases"
    DC = "DC", "DC"


class Connector(models.Model):
    evse = models.ForeignKey(Evse, on_delete=models.CASCADE, related_name="connectors", verbose_name="EVSE")
    number = models.PositiveIntegerField(
        "connector", default=1, help_text="The connector's number within its EVSE (OCPP connectorId)"
    )
    standard = models.CharField(max_length=32, choices=ConnectorType.choices, default=ConnectorType.TYPE2)
    # Facts of the hardware, not derivable from the standard (a Type 2 charger may have a socket or a
    # tethered cable, one or three phases); defaults fit the default standard, a 22 kW Type 2 socket.
    format = models.CharField(max_length=8, choices=ConnectorFormat.choices, default=ConnectorFormat.SOCKET)
    power_type = models.CharField(max_length=16, choices=PowerType.choices, default=PowerType.AC_3_PHASE)
    max_power_w = models.PositiveIntegerField(default=22_000)

    status = models.CharField(max_length=20, choices=ConnectorStatus.choices, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    info = models.CharField(max_length=255, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    status_by_arrival = models.BooleanField(
        default=False,
        help_text="status_updated_at is when we received the status: the station's clock could not be trusted",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evse", "number"], name="unique_connector_per_evse")]
        ordering = ["evse", "number"]

    def __str__(self) -> str:
        return f"{self.evse} connector {self.number}"


class StatusEvent(models.Model):
    """Every status a station reported, for connector 0 (station) or a connector."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="status_events")
    connector = models.ForeignKey(
        Connector, null=True, blank=True, on_delete=models.CASCADE, related_name="status_events"
    )
    status = models.CharField(max_length=20)
    previous_status = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    info = models.CharField(max_length=255, blank=True)
    timestamp = models.DateTimeField(
        help_text="When it happened: the station's time, or when we received it if the station's clock could not be trusted"
    )
    station_timestamp = models.DateTimeField(null=True, blank=True, help_text="When the station says it happened")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        # The second serves reads of a period across the network (the dashboard's uptime).
        indexes = [models.Index(fields=["station", "-timestamp"]), models.Index(fields=["timestamp"])]


class StationEvent(models.Model):
    """Other things a station tells: boots, firmware and diagnostics progress, protocol deviations."""

    class Kind(models.TextChoices):
        BOOT = "boot"
        FIRMWARE = "firmware"
        DIAGNOSTICS = "diagnostics"
        DEVIATION = "deviation", "protocol deviation"
        CONNECTION = "connection"  # its registration changed (accepted, pending, rejected)
        LINK = "link", "online / offline"  # its socket connected or went away: the connection history
        EVENT = "event", "device event"
        SECURITY = "security", "security event"
        CHARGING_LIMIT = "charging_limit", "charging limit"

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    summary = models.CharField(max_length=255)
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # The second serves one kind across the network over a period (the links' history, for uptime).
        indexes = [
            models.Index(fields=["station", "kind", "-occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]


class DataTransferVendor(models.Model):
    """A vendor whose DataTransfer messages we know how to answer."""

    vendor_id = models.CharField(max_length=255)
    message_id = models.CharField(max_length=50, blank=True, help_text="Empty: any message id of this vendor")
    accept = models.BooleanField(default=True)
    response_data = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor_id", "message_id"], name="unique_vendor_message")]

    def __str__(self) -> str:
        return f"{self.vendor_id}/{self.message_id or '*'}"


class DataTransferMessage(models.Model):
    """A DataTransfer a station sent us, with how we answered."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="data_transfers")
    vendor_id = models.CharField(max_length=255)
    message_id = models.CharField(max_length=50, blank=True)
    data = models.TextField(blank=True)
    response_status = models.CharField(max_length=20)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]


class ConfigurationKey(models.Model):
    """A configuration key as the station last reported it (GetConfiguration) or we last set it."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="configuration")
    key = models.CharField(max_length=50)
    value = models.TextField(null=True, blank=True)
    readonly = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "key"], name="unique_configuration_key")]
        ordering = ["station", "key"]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class CompositeSchedule(models.Model):
    """The charging schedule an EVSE said it will follow (GetCompositeSchedule)."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="composite_schedules")
    evse_number = models.PositiveIntegerField("EVSE")
    status = models.CharField(max_length=16)
    schedule = models.JSONField(null=True, blank=True)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fetched_at"]


class DeviceModelVariable(models.Model):
    """One attribute of a variable of an OCPP 2.0.1 station's device model (NotifyReport).

    evse_number and connector_number are 0 when the component is not on an EVSE/connector.
    """

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="device_model")
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    evse_number = models.PositiveIntegerField("EVSE", default=0)
    connector_number = models.PositiveIntegerField("connector", default=0)
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    attribute_type = models.CharField(max_length=16, default="Actual")
    value = models.TextField(null=True, blank=True)
    mutability = models.CharField(max_length=16, blank=True)
    data_type = models.CharField(max_length=16, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station", "component", "variable"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "station",
                    "component",
                    "component_instance",
                    "evse_number",
                    "connector_number",
                    "variable",
                    "variable_instance",
                    "attribute_type",
                ],
                name="unique_device_model_attribute",
            )
        ]

    def __str__(self) -> str:
        return f"{self.component}.{self.variable}={self.value}"
