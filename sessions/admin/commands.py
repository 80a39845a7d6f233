"""Charger commands about what `sessions` owns: remote start and stop, reservations, the local list.

They go through the sessions services that record what the charger answers
(remote_control.py, reservations.py, local_list.py), told to the operator as
every station command is (stations/admin/commands.py). The station actions
among them are offered on the stations' page (`@station_action`).
"""

from datetime import timedelta
from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.db.models import Max, QuerySet
from django.utils import timezone

from sessions import local_list, remote_control, reservations
from sessions.models import Reservation, Transaction
from stations.admin.command_forms import CommandForm, answered, evse_field
from stations.admin.commands import ask_then_send, send, station_action


class RemoteStartForm(CommandForm):
    label = "Remote start"
    intro = "Accepted only means the station agreed: the session appears once the station reports its start."
    evse_number = evse_field()
    id_tag = forms.CharField(label="Id tag", max_length=20)

    def send(self, station):
        data = self.cleaned_data
        return remote_control.remote_start.sync(
            station_id=station.pk, id_tag=data["id_tag"], evse_number=data["evse_number"]
        )


class ReserveNowForm(CommandForm):
    label = "Reserve now"
    evse_number = evse_field(minimum=0, help_text="0: any EVSE, if the station supports it.")
    id_tag = forms.CharField(label="Id tag", max_length=20)
    expires_at = forms.DateTimeField(label="Expiry (UTC)", initial=lambda: timezone.now() + timedelta(minutes=30))

    def clean_expires_at(self):
        if self.cleaned_data["expires_at"] <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return self.cleaned_data["expires_at"]

    def send(self, station):
        data = self.cleaned_data
        return reservations.reserve_now.sync(
            station_id=station.pk, evse_number=data["evse_number"], id_tag=data["id_tag"], expires_at=data["expires_at"]
        )


class SendLocalListForm(CommandForm):
    label = "Send local list"
    version = forms.IntegerField(label="List version", min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = self.stations.aggregate(latest=Max("local_list_version"))["latest"]
        self.fields["version"].initial = max(latest or 0, 0) + 1
        self.intro = (
            f"A full update: the {len(self.entries)} accepted id tags of the system replace the station's list."
        )

    @cached_property
    def entries(self):
        return local_list.accepted_entries()

    def send(self, station):
        return local_list.send_local_list.sync(
            station_id=station.pk,
            version=self.cleaned_data["version"],
            entries=self.entries,
            full=True,
            every_token=True,
        )

    def describe(self, station, answer):
        return f"{answered(station, answer)} ({len(self.entries)} id tags, version {self.cleaned_data['version']})"


# --- on the stations' page -------------------------------------------------------------------


@station_action
@admin.action(description="Remote start…", permissions=["command"])
def remote_start(modeladmin, request, queryset):
    return ask_then_send(modeladmin, request, queryset, RemoteStartForm)


@station_action
@admin.action(description="Reserve now…", permissions=["command"])
def reserve_now(modeladmin, request, queryset):
    return ask_then_send(modeladmin, request, queryset, ReserveNowForm)


@station_action
@admin.action(description="Cancel reservation (every one the stations hold)", permissions=["command"])
def cancel_reservation(modeladmin, request, queryset):
    """Cancel every reservation the selected stations hold now."""
    held = Reservation.objects.filter(
        station__in=queryset, status=Reservation.Status.ACCEPTED, expires_at__gt=timezone.now()
    )
    if not held.exists():
        modeladmin.message_user(request, "The selected stations hold no reservation.", messages.INFO)
    cancel_each(modeladmin, request, held)


@station_action
@admin.action(description="Send local list (all accepted id tags)…", permissions=["command"])
def send_local_list(modeladmin, request, queryset):
    return ask_then_send(modeladmin, request, queryset, SendLocalListForm)


# --- on transactions and reservations ---------------------------------------------------------


def remote_stop_each(modeladmin, request, transactions: QuerySet) -> None:
    """RemoteStopTransaction for each active transaction; the others are named and skipped."""
    for tx in transactions.select_related("station"):
        if tx.status != Transaction.Status.ACTIVE:
            modeladmin.message_user(request, f"Transaction {tx.pk} is not active; nothing to stop.", messages.WARNING)
            continue
        send(
            modeladmin,
            request,
            tx.station,
            f"Remote stop of transaction {tx.pk}",
            lambda: remote_control.remote_stop.sync(transaction_id=tx.pk),
            lambda station, answer: f"{station}: {answer.action} {answer.status} (transaction {tx.pk})",
        )


# A reservation the station holds, or may hold (its ReserveNow went unanswered).
MAY_BE_HELD = (Reservation.Status.ACCEPTED, Reservation.Status.REQUESTED)


def cancel_each(modeladmin, request, held: QuerySet) -> None:
    """CancelReservation for each reservation the station may still hold."""
    for reservation in held.select_related("station"):
        if reservation.status not in MAY_BE_HELD or reservation.expires_at <= timezone.now():
            modeladmin.message_user(request, f"{reservation} is not held; nothing to cancel.", messages.WARNING)
            continue
        send(
            modeladmin,
            request,
            reservation.station,
            f"Cancel reservation {reservation.pk}",
            lambda: reservations.cancel_reservation.sync(
                station_id=reservation.station_id, reservation_id=reservation.pk
            ),
            lambda station, answer: f"{station}: {answer.action} {answer.status} (reservation {reservation.pk})",
        )
