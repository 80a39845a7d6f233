"""Operators' view of roaming: partners and their credentials, the handshakes, the request log, the push queue."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from csms.admin import AuditAdmin
from roaming import tasks
from roaming.envelope import OcpiError
from roaming.models import Command, HubClientInfo, LocationPublishing, Partner, Push, RequestLog
from roaming.selectors.publishing import published_location_ids
from roaming.services import push, registration


class RegisterForm(forms.Form):
    name = forms.CharField(max_length=100)
    versions_url = forms.URLField(
        max_length=255, assume_scheme="https", label="Versions URL", help_text="The partner's OCPI versions URL"
    )
    token_a = forms.CharField(max_length=64, label="Token A", help_text="The token the partner gave us to register")
    tokens_raw = forms.BooleanField(required=False, help_text="The partner expects tokens without Base64")


class LocationPublishingInline(admin.StackedInline):
    """Which locations the partner sees; saving a change PUTs the newly published ones to it and marks the
    EVSEs of the unpublished ones REMOVED there."""

    model = LocationPublishing
    can_delete = False
    max_num = 1
    filter_horizontal = ["locations"]
    verbose_name = verbose_name_plural = "locations published to this partner (all unless chosen)"


class HubClientInfoInline(admin.TabularInline):
    """The parties behind a hub and their connection status, as the hub reports them (read-only)."""

    model = HubClientInfo
    extra = 0
    can_delete = False
    readonly_fields = ["country_code", "party_id", "role", "status", "last_updated"]
    verbose_name_plural = "parties behind this hub (HubClientInfo)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    """Partners (eMSPs, hubs): who they are, which endpoints they gave us, where their credentials stand."""

    list_display = ["name", "status", "parties", "version", "modules", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "party_id", "versions_url"]
    fields = [
        "name",
        "tokens_raw",
        "status",
        "country_code",
        "party_id",
        "roles",
        "versions_url",
        "version",
        "endpoint_list",
        "credentials_state",
        "request_log",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [f for f in fields if f not in ("name", "tokens_raw")]
    actions = ["issue_token_a", "rotate_credentials", "unregister"]
    inlines = [LocationPublishingInline, HubClientInfoInline]

    def save_related(self, request, form, formsets, change) -> None:
        """After the publishing choice is saved, the partner is told what it gained and lost."""
        partner = form.instance
        before = published_location_ids(partner) if change else set()
        super().save_related(request, form, formsets, change)
        if change:
            tasks.wake(push.publishing_changed(partner=partner, before=before))

    @admin.display(description="roles")
    def parties(self, partner: Partner) -> str:
        return ", ".join(f"{r.get('role')} {r.get('country_code')}*{r.get('party_id')}" for r in partner.roles) or "—"

    @admin.display(description="modules")
    def modules(self, partner: Partner) -> str:
        return ", ".join(sorted(partner.endpoints)) or "—"

    @admin.display(description="endpoints")
    def endpoint_list(self, partner: Partner) -> str:
        rows = [
            (module, role, url) for module, roles in sorted(partner.endpoints.items()) for role, url in roles.items()
        ]
        return format_html_join(mark_safe("<br>"), "{} {}: {}", rows) or "—"

    @admin.display(description="credentials")
    def credentials_state(self, partner: Partner) -> str:
        return (
            ", ".join(
                label
                for label, present in (
                    ("token A issued", partner.token_a_hash),
                    ("our token issued", partner.our_token_hash),
                    ("their token stored", partner.their_token_encrypted),
                )
                if present
            )
            or "none"
        )

    @admin.display(description="request log")
    def request_log(self, partner: Partner) -> str:
        url = reverse("admin:roaming_requestlog_changelist") + f"?partner__id__exact={partner.pk}"
        return format_html('<a href="{}">Every OCPI request in and out</a>', url)

    @admin.action(description="Issue token A (shown once) for the selected partner", permissions=["change"])
    def issue_token_a(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one partner.", messages.WARNING)
            return None
        partner = queryset.get()
        if partner.status == Partner.Status.REGISTERED:
            self.message_user(request, f"{partner} is registered: unregister it first.", messages.WARNING)
            return None
        token = registration.issue_token_a(partner=partner)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Token A",
            "partner": partner,
            "token": token,
            "versions_url": registration.our_credentials(token=token)["url"],
        }
        return TemplateResponse(request, "admin/roaming/partner/token_a.html", context)

    @admin.action(
        description="Rotate credentials (give the selected partners a new token of ours)", permissions=["change"]
    )
    def rotate_credentials(self, request, queryset):
        for partner in queryset:
            try:
                registration.rotate_credentials(partner=partner)
            except OcpiError as failure:
                self.message_user(request, f"{partner}: the old token stays: {failure.message}", messages.ERROR)
            else:
                self.message_user(request, f"{partner}: credentials rotated; the old token no longer works.")

    @admin.action(description="Unregister the selected partners (DELETE at theirs too)", permissions=["change"])
    def unregister(self, request, queryset):
        for partner in queryset.exclude(status=Partner.Status.UNREGISTERED):
            problem = registration.unregister_at_partner(partner=partner)
            if problem:
                self.message_user(
                    request, f"{partner}: unregistered here; the partner said: {problem}", messages.WARNING
                )
            else:
                self.message_user(request, f"{partner}: unregistered.")

    def get_urls(self):
        return [
            path("register/", self.admin_site.admin_view(self.register_view), name="roaming_partner_register"),
            *super().get_urls(),
        ]

    def register_view(self, request):
        """Register with a partner (we are the client): its versions URL and the token A it gave us."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                partner = registration.register_with_partner(**form.cleaned_data)
            except OcpiError as refusal:
                form.add_error(None, f"{refusal.status_code}: {refusal.message}")
            else:
                self.message_user(request, f"Registered with {partner}.")
                return redirect("admin:roaming_partner_change", partner.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Register with a partner",
        }
        return TemplateResponse(request, "admin/roaming/partner/register.html", context)


@admin.register(RequestLog)
class RequestLogAdmin(AuditAdmin):
    """Every OCPI request in and out (credentials tokens masked), kept OCPI_REQUEST_LOG_RETENTION_DAYS."""

    list_display = ["created_at", "partner", "direction", "method", "url", "http_status", "ocpi_status_code", "error"]
    list_filter = ["direction", "method", "http_status", "ocpi_status_code", "partner"]
    search_fields = ["url", "request_id", "correlation_id", "request_body", "response_body"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in RequestLog._meta.fields]


@admin.register(Push)
class PushAdmin(admin.ModelAdmin):
    """What we owe each partner's receivers: pending (with its backoff), sent, or failed and why."""

    list_display = [
        "created_at", "partner", "module", "method", "object_key", "state", "attempts", "next_attempt_at",
        "last_error", "sent_at",
    ]  # fmt: skip
    list_filter = ["state", "partner", "module", "method"]
    search_fields = ["object_key", "path", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Push._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry now (failed ones too)", permissions=["change"])
    def retry_now(self, request, queryset):
        partner_ids = push.retry_now(push_ids=list(queryset.values_list("pk", flat=True)))
        tasks.wake(partner_ids)
        self.message_user(request, f"Retrying the queues of {len(partner_ids)} partner(s); sent pushes stay sent.")


@admin.register(Command)
class CommandAdmin(AuditAdmin):
    """Partners' commands and charging-profile requests: what we answered, what the charger did, whether the
    partner took the result (and the transaction a START_SESSION started)."""

    list_display = [
        "created_at", "partner", "command", "response", "state", "result", "station", "transaction", "attempts",
        "last_error",
    ]  # fmt: skip
    list_filter = ["module", "command", "state", "result", "partner"]
    search_fields = ["response_url", "authorization_reference", "reservation_ref", "message"]
    list_select_related = ["partner", "station"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Command._meta.fields]
