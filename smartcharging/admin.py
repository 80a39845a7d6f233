"""Operators set up balanced sites here and read each EVSE's last allocation (the balancer writes those)."""

from django.contrib import admin

from smartcharging.models import (
    BalancedSite,
    Circuit,
    ControlledEvse,
    EvseAllocation,
    GroupPriority,
    SessionPriority,
    UncontrolledLoad,
)


class CircuitInline(admin.TabularInline):
    model = Circuit
    extra = 0
    fk_name = "site"
    raw_id_fields = ("station",)


class LoadInline(admin.TabularInline):
    model = UncontrolledLoad
    extra = 0


@admin.register(BalancedSite)
class BalancedSiteAdmin(admin.ModelAdmin):
    list_display = ("location", "enabled", "limit_a", "limit_kw", "buffer_a", "observation_s")
    list_filter = ("enabled",)
    inlines = [CircuitInline, LoadInline]


class AllocationInline(admin.StackedInline):
    model = EvseAllocation
    can_delete = False
    readonly_fields = (
        "status",
        "limit",
        "reason",
        "decided_at",
        "sent_limit",
        "sent_transaction",
        "sent_at",
        "answer",
        "refused_transaction",
        "default_limit",
        "default_answer",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ControlledEvse)
class ControlledEvseAdmin(admin.ModelAdmin):
    list_display = ("evse", "site", "circuit", "phases", "min_a", "max_a", "dc", "excluded", "override_limit", "status")
    list_filter = ("site", "excluded", "dc")
    list_select_related = ("evse__station", "site__location", "circuit", "allocation")
    raw_id_fields = ("evse",)
    inlines = [AllocationInline]

    @admin.display(description="allocation")
    def status(self, row: ControlledEvse) -> str:
        last = getattr(row, "allocation", None)
        return "" if last is None else f"{last.status} {last.limit if last.limit is not None else ''}".strip()


@admin.register(GroupPriority)
class GroupPriorityAdmin(admin.ModelAdmin):
    list_display = ("group", "priority")


@admin.register(SessionPriority)
class SessionPriorityAdmin(admin.ModelAdmin):
    list_display = ("transaction", "priority")
    raw_id_fields = ("transaction",)
