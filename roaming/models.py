"""OCPI partners (the eMSPs and hubs we roam with) and the log of every OCPI request in and out.

Tokens: a partner presents one of two tokens to us and we present one to it.
- token A: issued by an operator so the partner can register with us; only its hash is kept, and only
  until the registration consumes it.
- our token: the token the partner calls us with after registration (OCPI's token C when the partner
  registered with us, its token B when we registered with it); only its SHA-256 hash is kept, so a
  database leak does not let anyone call us as the partner. The pending token is the one we offer it
  while an operator rotates our credentials, until the partner takes it.
- their token: the token we call the partner with (its B or C); needed in clear for every call, so it is
  stored encrypted with a key derived from SECRET_KEY (roaming/secrets.py).
"""

from django.db import models


class Partner(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending (not registered yet)"
        REGISTERED = "registered", "registered"
        UNREGISTERED = "unregistered", "unregistered"

    name = models.CharField(max_length=100)
    country_code = models.CharField(max_length=2, blank=True, help_text="The partner's first role's country code")
    party_id = models.CharField(max_length=3, blank=True, help_text="The partner's first role's party id")
    roles = models.JSONField(
        default=list, blank=True, help_text="OCPI CredentialsRole list: role, country_code, party_id, business_details"
    )
    versions_url = models.URLField(max_length=255, blank=True)
    version = models.CharField(max_length=10, blank=True)
    endpoints = models.JSONField(default=dict, blank=True, help_text="module → role → URL, from their version details")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    tokens_raw = models.BooleanField(
        default=False, help_text="The partner sends and expects tokens without Base64 (OCPI 2.1.1 habit)"
    )
    token_a_hash = models.CharField(max_length=64, blank=True, db_index=True)
    our_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    their_token_encrypted = models.TextField(blank=True)
    # While we PUT new credentials to the partner (rotate_credentials), the new token of ours works too, as
    # the partner may call our versions with it before it answers; it replaces our token when it answers.
    pending_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        party = f" ({self.country_code}*{self.party_id})" if self.party_id else ""
        return f"{self.name}{party}"

    def parties(self) -> set[tuple[str, str]]:
        """The (country_code, party_id) the partner speaks for, upper case: each of its roles, and for a hub
        the parties behind it it reported by HubClientInfo (OCPI: a hub reports only itself as a role)."""
        own = {
            (str(r.get("country_code", "")).upper(), str(r.get("party_id", "")).upper())
            for r in self.roles
            if isinstance(r, dict)
        }
        if self.party_id:
            own.add((self.country_code.upper(), self.party_id.upper()))
        if self.pk and self.has_role("HUB"):
            behind = self.hub_clients.values_list("country_code", "party_id")  # type: ignore[attr-defined]
            own |= {(country_code.upper(), party_id.upper()) for country_code, party_id in behind}
        return own

    def has_role(self, role: str) -> bool:
        return any(isinstance(r, dict) and r.get("role") == role for r in self.roles)

    def endpoint(self, module: str, role: str | None = None) -> str | None:
        """The partner's URL for a module, for one role or whichever it lists first."""
        roles = self.endpoints.get(module) or {}
        if role is not None:
            return roles.get(role)
        return next(iter(roles.values()), None)


class RequestLog(models.Model):
    """One OCPI request in or out, as the OCPP message log keeps frames; purged after a retention period."""

    class Direction(models.TextChoices):
        IN = "in", "partner → us"
        OUT = "out", "us → partner"

    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    method = models.CharField(max_length=10)
    url = models.TextField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None: no answer")
    ocpi_status_code = models.PositiveIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.method} {self.url} {self.http_status}"


class Push(models.Model):
    """One call we owe a partner's receiver (an object that changed here), kept until the partner took it.

    A partner's pushes go out one at a time in creation order (id): the sender stops at the first one the
    partner could not take and tries again from there after a backoff, so what a partner down for an hour
    missed arrives afterwards, in order, once. The body is what the object looked like when it changed;
    the URL is built at sending time from the partner's current endpoint for `module`.
    """

    class Method(models.TextChoices):
        PUT = "PUT"
        PATCH = "PATCH"
        POST = "POST"
        DELETE = "DELETE"

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent (the partner answered 1xxx)"
        FAILED = "failed", "failed (refused, or given up after the last attempt)"
        SUPERSEDED = "superseded", "superseded (a later push of the object carried all it did)"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="pushes")
    module = models.CharField(max_length=20, help_text="The OCPI module whose RECEIVER endpoint takes it")
    object_key = models.CharField(
        max_length=120, help_text="Which object: location id, /EVSE uid, /connector id (e.g. 1/17)"
    )
    method = models.CharField(max_length=6, choices=Method.choices)
    path = models.CharField(max_length=255, help_text="Appended to the partner's endpoint (e.g. DE/VST/1/17)")
    body = models.JSONField()
    to_party = models.CharField(
        max_length=6, blank=True, help_text='The party it is for ("CC*PID", sent as OCPI-to-*); blank: the first role'
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "pushes"
        ordering = ["-id"]
        indexes = [
            # The sender: a partner's oldest pending push, and the later PATCHes of one object.
            models.Index(fields=["partner", "state", "id"], name="push_partner_queue"),
            # The beat: which partners have a push due.
            models.Index(fields=["state", "next_attempt_at"], name="push_due"),
            # A session's last PUT (its throttle, and whether it tells anything new), a CDR queued once.
            models.Index(fields=["module", "object_key", "id"], name="push_object"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.module} {self.object_key} ({self.state})"


class Command(models.Model):
    """A command (Commands module) or a charging-profile request (ChargingProfiles module) a partner sent us.

    Both are answered at once (CommandResponse, ChargingProfileResponse) and carried out in Celery; what the
    charger answered becomes the result `result_body` that roaming.services.results POSTs to the partner's
    `response_url`, tried again with backoff until the partner takes it. A START_SESSION keeps the
    transaction it started, so the Session we send carries the eMSP's `authorization_reference`; a
    RESERVE_NOW keeps the reservation we made (the eMSP's reservation_id is never sent to a charger).
    """

    class Module(models.TextChoices):
        COMMANDS = "commands", "commands"
        CHARGING_PROFILES = "chargingprofiles", "charging profiles"

    class State(models.TextChoices):
        PENDING = "pending", "pending (the charger is being asked)"
        ANSWERED = "answered", "answered (the result is to be POSTed)"
        DELIVERED = "delivered", "delivered (the partner took the result)"
        FAILED = "failed", "failed (refused, or given up after the last attempt)"
        REFUSED = "refused", "refused at once (no charger asked)"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="commands")
    module = models.CharField(max_length=16, choices=Module.choices, default=Module.COMMANDS)
    command = models.CharField(max_length=32, help_text="START_SESSION, ..., or SET/GET/CLEAR_CHARGING_PROFILE")
    request = models.JSONField(help_text="The body (or query) the partner sent")
    response_url = models.URLField(max_length=512, blank=True)
    from_party = models.CharField(
        max_length=6,
        blank=True,
        help_text='The party that asked ("CC*PID": OCPI-from-*, else its token\'s); its result is sent to it',
    )
    response = models.CharField(max_length=16, help_text="What we answered at once (CommandResponseType, ...)")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    result = models.CharField(max_length=24, blank=True, help_text="CommandResultType / ChargingProfileResultType")
    result_body = models.JSONField(null=True, blank=True, help_text="The result object POSTed to response_url")
    message = models.CharField(max_length=255, blank=True)
    station = models.ForeignKey("stations.ChargingStation", null=True, blank=True, on_delete=models.SET_NULL)
    evse_number = models.PositiveIntegerField(null=True, blank=True)
    connector_number = models.PositiveIntegerField(null=True, blank=True)
    id_tag = models.ForeignKey("charging.IdTag", null=True, blank=True, on_delete=models.SET_NULL)
    authorization_reference = models.CharField(max_length=36, blank=True)
    reservation_ref = models.CharField(max_length=36, blank=True, help_text="The eMSP's reservation_id")
    reservation = models.ForeignKey("charging.Reservation", null=True, blank=True, on_delete=models.SET_NULL)
    transaction = models.ForeignKey(
        "charging.Transaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="roaming_commands"
    )
    attempts = models.PositiveIntegerField(default=0, help_text="POSTs of the result tried")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="command_result_due")]

    def __str__(self) -> str:
        return f"{self.command} from {self.partner_id} ({self.state} {self.result})"


class RealtimeAuthorization(models.Model):
    """An eMSP's real-time answer about one token (POST tokens/{uid}/authorize), or that none knew it.

    Kept for OCPI_AUTHORIZE_CACHE_SECONDS as the answer to the next question about the token (a charger's
    Authorize, then its StartTransaction, ask once), and for as long as the session needs its
    `authorization_reference`, which the partner wants back in the Session and CDR.
    """

    id_tag = models.CharField(max_length=36, db_index=True)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.CASCADE, help_text="Who answered; none: no partner knew it"
    )
    status = models.CharField(max_length=20, help_text="What it means for the charger (an AuthorizationStatus)")
    allowed = models.CharField(max_length=16, blank=True, help_text="The partner's AllowedType")
    authorization_reference = models.CharField(max_length=36, blank=True)
    location_id = models.CharField(max_length=36, blank=True)
    evse_uid = models.CharField(max_length=36, blank=True)
    superseded = models.BooleanField(
        default=False, help_text="The issuer pushed the token since: this answer no longer stands for the next question"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.id_tag}: {self.allowed or 'unknown'} ({self.status})"


class LocationPublishing(models.Model):
    """Which of our locations a partner sees (pulls, object GETs, pushes): all of them unless an operator
    chose some. One row per partner that has a choice; a partner without one sees every location."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="publishing")
    all_locations = models.BooleanField(
        default=True, help_text="Publish every location to this partner; untick to publish only the chosen ones"
    )
    locations = models.ManyToManyField(
        "stations.Location", blank=True, related_name="+", help_text="Published when not all locations are"
    )

    def __str__(self) -> str:
        return f"locations published to {self.partner}"


class HubClientInfo(models.Model):
    """A party behind a hub, as the hub tells us (OCPI HubClientInfo module, our RECEIVER)."""

    class Role(models.TextChoices):
        CPO = "CPO"
        EMSP = "EMSP"
        HUB = "HUB"
        NAP = "NAP"
        NSP = "NSP"
        OTHER = "OTHER"
        SCSP = "SCSP"

    class ConnectionStatus(models.TextChoices):
        CONNECTED = "CONNECTED"
        OFFLINE = "OFFLINE"
        PLANNED = "PLANNED"
        SUSPENDED = "SUSPENDED"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="hub_clients")
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    role = models.CharField(max_length=5, choices=Role.choices)
    status = models.CharField(max_length=9, choices=ConnectionStatus.choices)
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["country_code", "party_id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "country_code", "party_id"], name="hub_client_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.role} ({self.status})"


class CdrSnapshot(models.Model):
    """A sealed record's OCPI CDR as first mapped, served ever after (mod_cdrs: a CDR "cannot be changed or
    replaced once sent", and carries the Location, EVSE and Token as they were).

    One per record (the one-to-one is unique), so two first mappings at once keep one body; the body is
    JSON as the partner reads it (numbers as OCPI's encoder writes them)."""

    record = models.OneToOneField(
        "billing.ChargeDetailRecord", on_delete=models.CASCADE, related_name="ocpi_cdr", primary_key=True
    )
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"CDR {self.record_id}"
