"""OCPI partners (the eMSPs and hubs we roam with) and the log of every OCPI request in and out.

Tokens: a partner presents one of two tokens to us and we present one to it.
- token A: issued by an operator so the partner can register with us; only its hash is kept, and only
  until the registration consumes it.
- our token: the token the partner calls us with after registration (OCPI's token C when the partner
  registered with us, its token B when we registered with it); only its SHA-256 hash is kept, so a
  database leak does not let anyone call us as the partner.
- their token: the token we call the partner with (its B or C); needed in clear for every call, so it is
  stored encrypted with a key derived from SECRET_KEY (roaming/secrets.py).
"""

from django.db import models


class Partner(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending (token A issued)"
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        party = f" ({self.country_code}*{self.party_id})" if self.party_id else ""
        return f"{self.name}{party}"

    def parties(self) -> set[tuple[str, str]]:
        """The (country_code, party_id) of each of the partner's roles, upper case (a hub has many)."""
        own = {
            (str(r.get("country_code", "")).upper(), str(r.get("party_id", "")).upper())
            for r in self.roles
            if isinstance(r, dict)
        }
        if self.party_id:
            own.add((self.country_code.upper(), self.party_id.upper()))
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
        SUPERSEDED = "superseded", "superseded (a later PATCH of the object carried every field)"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="pushes")
    module = models.CharField(max_length=20, help_text="The OCPI module whose RECEIVER endpoint takes it")
    object_key = models.CharField(
        max_length=120, help_text="Which object: location id, /EVSE uid, /connector id (e.g. 1/17)"
    )
    method = models.CharField(max_length=6, choices=Method.choices)
    path = models.CharField(max_length=255, help_text="Appended to the partner's endpoint (e.g. DE/VST/1/17)")
    body = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The sender: a partner's oldest pending push, and the later PATCHes of one object.
            models.Index(fields=["partner", "state", "id"], name="push_partner_queue"),
            # The beat: which partners have a push due.
            models.Index(fields=["state", "next_attempt_at"], name="push_due"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.module} {self.object_key} ({self.state})"


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
