"""Id tags, authorization, transactions and meter values."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuthorizationStatus(models.TextChoices):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class Whitelist(models.TextChoices):
    """How an issuer lets us decide on its token without asking it (a roaming eMSP says so per token).

    Our own tokens are ALWAYS: we are their issuer, so what we know is the whole answer.
    - ALWAYS: decide from what we hold; the issuer never wants to be asked.
    - ALLOWED: deciding from what we hold is allowed (asking the issuer would be too).
    - ALLOWED_OFFLINE: the issuer wants to be asked, but when it cannot be reached, what we hold decides; so
      a charger that cannot reach us may decide from its local list too.
    - NEVER: only the issuer decides, at the moment of use. We do not ask issuers in real time, so such a
      token is never authorised here (and never goes on a charger's local list).
    """

    ALWAYS = "always"
    ALLOWED = "allowed"
    ALLOWED_OFFLINE = "allowed_offline"
    NEVER = "never"


class IdTag(models.Model):
    """An identifier a driver presents: an RFID card, or the app's own token.

    Most are ours; a roaming partner's (an eMSP's) tokens are kept here too, naming their issuer
    (`issuer_party`), so a charger's Authorize is answered for them by the same rule as for ours.
    """

    class TokenType(models.TextChoices):
        RFID = "RFID"
        APP = "APP_USER"
        AD_HOC = "AD_HOC_USER", "Ad hoc user (paid on the spot)"
        OTHER = "OTHER"

    class IdTokenType(models.TextChoices):
        """OCPP 2.0.1 IdTokenEnumType: how a charger reads the token, sent with it to 2.0.1 stations."""

        ISO14443 = "ISO14443", "ISO 14443 card (MIFARE, most RFID cards)"
        ISO15693 = "ISO15693", "ISO 15693 card"
        EMAID = "eMAID", "eMAID (contract id, ISO 15118)"
        KEY_CODE = "KeyCode", "Key code"
        CENTRAL = "Central", "Central (issued by this system)"
        LOCAL = "Local", "Local (issued by the station)"
        MAC_ADDRESS = "MacAddress", "MAC address (Autocharge)"
        NO_AUTHORIZATION = "NoAuthorization", "No authorization"

    id_tag = models.CharField(max_length=36, unique=True)
    token_type = models.CharField(max_length=16, choices=TokenType.choices, default=TokenType.RFID)
    id_token_type = models.CharField(
        "OCPP 2.0.1 token type", max_length=16, choices=IdTokenType.choices, default=IdTokenType.ISO14443
    )
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.label) for s in AuthorizationStatus if s != AuthorizationStatus.CONCURRENT_TX],
        default=AuthorizationStatus.ACCEPTED,
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="id_tags"
    )
    allow_concurrent_transactions = models.BooleanField(default=False)

    # Who issued it and what the issuer says of it; blank (and ALWAYS, valid) for our own tokens.
    issuer_party = models.CharField(
        max_length=6, blank=True, db_index=True, help_text='The issuing party as "CC*PID"; blank: ours'
    )
    issuer_name = models.CharField(max_length=64, blank=True, help_text="The issuer's name as printed on the card")
    contract_id = models.CharField(max_length=36, blank=True, help_text="The driver's contract (eMAID) at the issuer")
    visual_number = models.CharField(max_length=64, blank=True, help_text="The number printed on the card")
    issuer_group = models.CharField(max_length=36, blank=True, help_text="The issuer's group of this driver's tokens")
    language = models.CharField(max_length=2, blank=True, help_text="The driver's language (ISO 639-1)")
    whitelist = models.CharField(max_length=16, choices=Whitelist.choices, default=Whitelist.ALWAYS)
    valid = models.BooleanField(
        default=True, help_text="Whether its issuer vouches for it; an operator's own block is `status`"
    )
    last_updated = models.DateTimeField(null=True, blank=True, help_text="When its issuer last changed it")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.id_tag


class Transaction(models.Model):
    """One charging session. Its primary key is the OCPP 1.6 transactionId.

    OCPP 2.0.1 stations name their own transactions with a string; that id is
    kept in `uid` so both versions are the same Transaction in the domain.
    """

    class Status(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"

    class EndedWithoutStop(models.TextChoices):
        """Why the CSMS ended a transaction whose stop the charger never sent (kept as its stop_reason)."""

        NEW_START = "EndedByNewStart", "a new transaction started on its EVSE"
        REBOOT = "EndedByReboot", "the charger rebooted and reported its EVSE free"
        STALE = "EndedStale", "nothing was heard of it for too long"
        FORCED = "ForceClosed", "an operator force-closed it"

    station = models.ForeignKey("stations.ChargingStation", on_delete=models.PROTECT, related_name="transactions")
    connector = models.ForeignKey("stations.Connector", on_delete=models.PROTECT, related_name="transactions")
    uid = models.CharField(max_length=36, null=True, blank=True, help_text="OCPP 2.0.1 transactionId")
    id_tag = models.ForeignKey(IdTag, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions")
    id_tag_value = models.CharField(max_length=36, help_text="The id tag as the station sent it")
    authorization_status = models.CharField(max_length=16, choices=AuthorizationStatus.choices)
    reservation_id = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)

    meter_start_wh = models.BigIntegerField(
        null=True, blank=True, help_text="Empty until a 2.0.1 station reports energy"
    )
    meter_stop_wh = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=32, blank=True)
    stop_id_tag_value = models.CharField(max_length=36, blank=True)
    end_note = models.CharField(
        max_length=255,
        blank=True,
        help_text="Why it was ended without the charger's stop (an operator's reason is kept here)",
    )
    meter_drop_wh = models.BigIntegerField(
        default=0,
        help_text="How far the register went backwards (a meter reset or replacement); added back so energy is what was metered",
    )

    # Latest readings, so live views need not scan meter values.
    last_meter_wh = models.BigIntegerField(null=True, blank=True)
    last_power_w = models.IntegerField(null=True, blank=True)
    last_soc_percent = models.IntegerField(null=True, blank=True)
    last_reading_at = models.DateTimeField(null=True, blank=True)

    # The cost as billing priced it (sessions.costs): so far while running, final once the CDR is sealed.
    # Readers (the drivers' API, the live socket, roaming) show it; none of them prices the session.
    cost_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217; empty until priced")
    cost_excl_vat = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_incl_vat = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_priced_at = models.DateTimeField(null=True, blank=True, help_text="When the cost was priced")
    cost_final = models.BooleanField(default=False, help_text="The sealed cost of the finished session")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # A replayed 1.6 StartTransaction is the same request: connector, id tag, meter start and time.
            # A charger without a clock starts every session at the same time; only a replay repeats all four.
            models.UniqueConstraint(
                fields=["connector", "started_at", "id_tag_value", "meter_start_wh"],
                condition=Q(uid__isnull=True),
                name="unique_transaction_request",
            ),
            models.UniqueConstraint(
                fields=["station", "uid"], condition=Q(uid__isnull=False), name="unique_transaction_uid"
            ),
        ]
        indexes = [
            models.Index(fields=["station", "status"]),
            # The dashboard's session list: newest first (keyset on started_at, id), per station, per token.
            models.Index(fields=["-started_at", "-id"], name="transaction_newest"),
            models.Index(fields=["-started_at"], condition=Q(status="active"), name="transaction_running_newest"),
            models.Index(fields=["station", "-started_at"], name="transaction_station_newest"),
            models.Index(fields=["id_tag_value", "-started_at"], name="transaction_tag_newest"),
        ]
        permissions = [("force_close_transaction", "Can force-close a transaction the charger never stopped")]

    def __str__(self) -> str:
        return f"Transaction {self.pk}"

    @property
    def energy_wh(self) -> int | None:
        """What the meter counted: its rises, never its falls (a reset is not negative energy)."""
        end = self.meter_stop_wh if self.meter_stop_wh is not None else self.last_meter_wh
        if end is None or self.meter_start_wh is None:
            return None
        return end - self.meter_start_wh + self.meter_drop_wh


class ChargingState(models.TextChoices):
    """Whether energy flows to a connected EV, as a 2.0.1 station reports it with a transaction step.

    Billing reads it to tell charging time from parking time (OCPI: connected, not charging).
    """

    CHARGING = "Charging"
    EV_CONNECTED = "EVConnected"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    IDLE = "Idle"


class TransactionEvent(models.Model):
    """One numbered step of a transaction as an OCPP 2.0.1 station reports it.

    (transaction, seq_no) is unique: a replayed or re-sent event is seen and
    changes nothing.
    """

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events")
    seq_no = models.PositiveIntegerField()
    kind = models.CharField(max_length=8)  # started / updated / ended
    trigger = models.CharField(max_length=32)
    timestamp = models.DateTimeField()
    offline = models.BooleanField(default=False)
    charging_state = models.CharField(
        max_length=16, choices=ChargingState.choices, blank=True, help_text="Empty: the step did not report one"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction", "seq_no"]
        constraints = [models.UniqueConstraint(fields=["transaction", "seq_no"], name="unique_transaction_event")]


class MeterValue(models.Model):
    """One sampled value, normalised: energy in Wh, power in W, the rest as reported.

    Values are upserts: the unique keys below make a replayed MeterValues
    (or the transactionData of a replayed StopTransaction) add nothing.
    """

    station = models.ForeignKey("stations.ChargingStation", on_delete=models.CASCADE, related_name="meter_values")
    connector = models.ForeignKey(
        "stations.Connector", null=True, blank=True, on_delete=models.CASCADE, related_name="meter_values"
    )
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.CASCADE, related_name="meter_values"
    )
    evse_number = models.PositiveIntegerField(default=0, help_text="0: the station's main meter")
    timestamp = models.DateTimeField()
    measurand = models.CharField(max_length=64)
    phase = models.CharField(max_length=8, blank=True)
    location = models.CharField(max_length=8, blank=True)
    context = models.CharField(max_length=32, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=4)
    raw_value = models.CharField(max_length=64, help_text="The value and unit as sent, before conversion")
    raw_unit = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "timestamp", "measurand", "phase", "location"],
                condition=Q(transaction__isnull=False),
                name="unique_transaction_sample",
            ),
            models.UniqueConstraint(
                fields=["station", "evse_number", "timestamp", "measurand", "phase", "location"],
                condition=Q(transaction__isnull=True),
                name="unique_station_sample",
            ),
        ]
        indexes = [models.Index(fields=["station", "-timestamp"])]


class Reservation(models.Model):
    """An EVSE held for an id tag until it arrives or the reservation expires.

    The primary key is the OCPP reservationId.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested"
        ACCEPTED = "accepted"
        REFUSED = "refused"
        USED = "used"
        CANCELLED = "cancelled"
        EXPIRED = "expired"

    station = models.ForeignKey("stations.ChargingStation", on_delete=models.CASCADE, related_name="reservations")
    evse_number = models.PositiveIntegerField("EVSE", help_text="0: any EVSE of the station")
    id_tag = models.CharField(max_length=36)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    station_answer = models.CharField(max_length=16, blank=True, help_text="What the station answered ReserveNow")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Reservation {self.pk}"


class DriverSession(models.Model):
    """A charging session as a driver sees it, from the app's start request to its end.

    A Transaction exists only once the charger reports a start; the app needs
    the time before it too (`pending`), and an honest end when the charger
    never starts (`failed`, with a stable `error_code`). Sessions started with
    a driver's RFID card get one as well, `active` from the start, so the
    history is complete.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        STOPPING = "stopping"
        COMPLETED = "completed"
        FAILED = "failed"

    driver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="charging_sessions")
    id_tag = models.ForeignKey(IdTag, on_delete=models.PROTECT, related_name="driver_sessions")
    station = models.ForeignKey("stations.ChargingStation", on_delete=models.PROTECT, related_name="driver_sessions")
    connector = models.ForeignKey("stations.Connector", on_delete=models.PROTECT, related_name="driver_sessions")
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="driver_session"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    error_code = models.CharField(
        max_length=32,
        blank=True,
        help_text="Why it failed; on an active session, why the last stop request did not go through",
    )
    error_message = models.CharField(max_length=255, blank=True)
    max_power_w = models.PositiveIntegerField(null=True, blank=True, help_text="Limit sent as a Tx charging profile")
    departure_at = models.DateTimeField(
        null=True, blank=True, help_text="When the driver says they leave (smart charging plans to it)"
    )
    energy_wanted_wh = models.PositiveIntegerField(
        null=True, blank=True, help_text="The energy the driver says they need by their departure"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    start_accepted_at = models.DateTimeField(null=True, blank=True, help_text="When the charger agreed to start")
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["driver", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_session_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["driver", "-created_at"]), models.Index(fields=["connector", "state"])]

    def __str__(self) -> str:
        return f"Session {self.pk}"


class EvChargingNeeds(models.Model):
    """What the car reported it needs for its running transaction (OCPP 2.0.1 NotifyEVChargingNeeds, from
    ISO 15118): the last report replaces the one before. The driver's own word is on DriverSession."""

    class EnergyTransfer(models.TextChoices):
        DC = "dc", "DC"
        AC_SINGLE_PHASE = "ac_single_phase", "AC single phase"
        AC_TWO_PHASE = "ac_two_phase", "AC two phases"
        AC_THREE_PHASE = "ac_three_phase", "AC three phases"

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="ev_charging_needs")
    energy_transfer = models.CharField(max_length=16, choices=EnergyTransfer.choices)
    departure_at = models.DateTimeField(null=True, blank=True)
    energy_wh = models.PositiveIntegerField(
        null=True, blank=True, help_text="Energy requested, preconditioning included"
    )
    min_current_a = models.PositiveIntegerField(null=True, blank=True, help_text="AC, per phase")
    max_current_a = models.PositiveIntegerField(null=True, blank=True, help_text="Per phase on AC; cable included")
    max_voltage_v = models.PositiveIntegerField(null=True, blank=True)
    max_power_w = models.PositiveIntegerField(null=True, blank=True, help_text="DC")
    reported_at = models.DateTimeField(help_text="When the CSMS received the last report")

    class Meta:
        verbose_name = "EV charging needs"
        verbose_name_plural = "EV charging needs"

    def __str__(self) -> str:
        return f"Needs of transaction {self.transaction_id}"
