"""The forms of the commands that ask for parameters (see `ask_then_send`).

Each form names its command (`label`), sends it to one station (`send`) and
may word the success message itself (`describe`).
"""

from datetime import timedelta
from functools import cached_property

from django import forms
from django.core.validators import URLValidator
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from csms.ocpp import commands
from csms.ocpp.admin_actions import answered
from csms.ocpp.commands import Answer
from csms.ocpp.values import iso
from sessions.models import AuthorizationStatus, IdTag
from stations.models import ChargingStation


class CommandForm(forms.Form):
    """The parameters of one command, asked once for all the selected stations."""

    label = ""  # names the command on its page and in failure messages
    intro = ""  # what the operator should know before sending

    def __init__(self, *args, stations: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.stations = stations

    def send(self, station: ChargingStation) -> Answer:
        raise NotImplementedError

    def describe(self, station: ChargingStation, answer: Answer) -> str:
        return answered(station, answer)


def evse_field(
    *, minimum: int = 1, initial: int | None = 1, required: bool = True, help_text: str = ""
) -> forms.IntegerField:
    """An EVSE number: OCPP 1.6 calls it the connector id, and 0 is the whole station."""
    return forms.IntegerField(label="EVSE", min_value=minimum, initial=initial, required=required, help_text=help_text)


def location_field(help_text: str) -> forms.CharField:
    schemes = ["http", "https", "ftp", "ftps", "sftp"]
    return forms.CharField(max_length=512, validators=[URLValidator(schemes=schemes)], help_text=help_text)


RATE_UNITS = [("A", "A (current)"), ("W", "W (power)")]
PURPOSES = [
    ("TxDefault", "TxDefault: every session on the EVSE"),
    ("Tx", "Tx: the running session"),
    ("StationMax", "StationMax: the whole station (EVSE 0)"),
]


class TriggerMessageForm(CommandForm):
    label = "Trigger message"
    message = forms.ChoiceField(
        choices=[(m, m) for m in ("BootNotification", "StatusNotification", "Heartbeat", "MeterValues")]
    )
    evse_id = evse_field(initial=None, required=False, help_text="For StatusNotification and MeterValues; empty: all.")

    def send(self, station):
        return commands.trigger_message.sync(station, **self.cleaned_data)

    def describe(self, station, answer):
        return f"{answered(station, answer)} ({self.cleaned_data['message']})"


class UnlockConnectorForm(CommandForm):
    label = "Unlock connector"
    evse_id = evse_field()

    def send(self, station):
        return commands.unlock_connector.sync(station, evse_id=self.cleaned_data["evse_id"])


class ChangeAvailabilityForm(CommandForm):
    label = "Change availability"
    evse_id = evse_field(minimum=0, initial=0, help_text="0: the whole station.")
    availability = forms.ChoiceField(choices=[("Operative", "Operative"), ("Inoperative", "Inoperative")])

    def send(self, station):
        operative = self.cleaned_data["availability"] == "Operative"
        return commands.change_availability.sync(station, evse_id=self.cleaned_data["evse_id"], operative=operative)


class UpdateFirmwareForm(CommandForm):
    label = "Update firmware"
    intro = "The station downloads the firmware from the location at the retrieve date; its progress shows on the station page."
    location = location_field("Where the station downloads the firmware from.")
    retrieve_at = forms.DateTimeField(label="Retrieve date (UTC)", initial=timezone.now)
    retries = forms.IntegerField(min_value=0, required=False)
    retry_interval = forms.IntegerField(label="Retry interval (s)", min_value=0, required=False)

    def send(self, station):
        return commands.update_firmware.sync(station, **self.cleaned_data)

    def describe(self, station, answer):
        return f"{station}: {answer.action} acknowledged; its progress shows as the station's firmware status"


class GetDiagnosticsForm(CommandForm):
    label = "Get diagnostics"
    location = location_field("Where the station uploads its diagnostics file to.")

    def send(self, station):
        return commands.get_diagnostics.sync(station, location=self.cleaned_data["location"])

    def describe(self, station, answer):
        file_name = answer.data.get("file_name")
        return f"{station}: {answer.action}: " + (f"uploading {file_name}" if file_name else "no diagnostics to upload")


class DataTransferForm(CommandForm):
    label = "Data transfer"
    vendor_id = forms.CharField(label="Vendor id", max_length=255)
    message_id = forms.CharField(label="Message id", max_length=50, required=False)
    data = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def send(self, station):
        return commands.data_transfer.sync(station, **{k: v or None for k, v in self.cleaned_data.items()})

    def describe(self, station, answer):
        data = answer.data.get("data")
        return answered(station, answer) + (f", data: {data}" if data else "")


class ChangeConfigurationForm(CommandForm):
    label = "Change configuration"
    key = forms.CharField(max_length=50)
    value = forms.CharField(max_length=500)

    def send(self, station):
        return commands.change_configuration.sync(station, **self.cleaned_data)

    def describe(self, station, answer):
        return f"{answered(station, answer)} ({self.cleaned_data['key']}={self.cleaned_data['value']})"


class GetVariablesForm(CommandForm):
    label = "Get variables"
    intro = "OCPP 2.0.1 stations: read one variable of the device model; the value is kept."
    component = forms.CharField(max_length=50, initial="OCPPCommCtrlr")
    variable = forms.CharField(max_length=50, initial="HeartbeatInterval")

    def send(self, station):
        return commands.get_variables.sync(
            station, variables=[(self.cleaned_data["component"], self.cleaned_data["variable"])]
        )

    def describe(self, station, answer):
        [result] = answer.data.get("get_variable_result", [{}])
        return f"{station}: {self.cleaned_data['component']}.{self.cleaned_data['variable']} = {result.get('attribute_value')} ({result.get('attribute_status')})"


class SetVariablesForm(CommandForm):
    label = "Set variables"
    intro = "OCPP 2.0.1 stations: set one variable of the device model."
    component = forms.CharField(max_length=50, initial="OCPPCommCtrlr")
    variable = forms.CharField(max_length=50, initial="HeartbeatInterval")
    value = forms.CharField(max_length=1000)

    def send(self, station):
        data = self.cleaned_data
        return commands.set_variables.sync(station, values=[(data["component"], data["variable"], data["value"])])

    def describe(self, station, answer):
        [result] = answer.data.get("set_variable_result", [{}])
        return f"{station}: {self.cleaned_data['component']}.{self.cleaned_data['variable']} {result.get('attribute_status')}"


class SetChargingProfileForm(CommandForm):
    label = "Set charging profile"
    intro = "One limit from now on, until the profile is cleared or replaced (same profile id)."
    evse_id = evse_field(
        minimum=0, initial=1, help_text="0: the whole station (StationMax, or TxDefault for every EVSE)."
    )
    limit = forms.DecimalField(min_value=0, max_digits=9, decimal_places=1)
    rate_unit = forms.ChoiceField(label="Unit", choices=RATE_UNITS)
    purpose = forms.ChoiceField(choices=PURPOSES)
    profile_id = forms.IntegerField(label="Profile id", min_value=1, initial=1)
    stack_level = forms.IntegerField(label="Stack level", min_value=0, initial=0)

    def clean(self):
        data = super().clean()
        if data.get("purpose") == "StationMax" and data.get("evse_id") not in (None, 0):
            self.add_error("evse_id", "A StationMax profile is set on EVSE 0, the whole station.")
        if data.get("purpose") == "Tx" and data.get("evse_id") == 0:
            self.add_error("evse_id", "A Tx profile is set on the EVSE of the running session.")
        return data

    def send(self, station):
        data = self.cleaned_data
        profile = commands.ChargingProfile(
            profile_id=data["profile_id"],
            stack_level=data["stack_level"],
            purpose=data["purpose"],
            rate_unit=data["rate_unit"],
            periods=[commands.SchedulePeriod(start_s=0, limit=float(data["limit"]))],
            starts_at=iso(timezone.now()),
        )
        return commands.set_charging_profile.sync(station, evse_id=data["evse_id"], profile=profile)


class ClearChargingProfileForm(CommandForm):
    label = "Clear charging profile"
    intro = "Clears the profiles that match every field given; with all fields empty, every profile."
    profile_id = forms.IntegerField(label="Profile id", min_value=1, required=False)
    evse_id = evse_field(minimum=0, initial=None, required=False)
    purpose = forms.ChoiceField(choices=[("", "any")] + PURPOSES, required=False)
    stack_level = forms.IntegerField(label="Stack level", min_value=0, required=False)

    def send(self, station):
        return commands.clear_charging_profile.sync(
            station, **{k: v if v != "" else None for k, v in self.cleaned_data.items()}
        )


class GetCompositeScheduleForm(CommandForm):
    label = "Get composite schedule"
    evse_id = evse_field(minimum=0, help_text="0: the whole station's grid connection.")
    duration_s = forms.IntegerField(label="Duration (s)", min_value=1, initial=3600)
    rate_unit = forms.ChoiceField(label="Unit", choices=[("", "the station's choice")] + RATE_UNITS, required=False)

    def send(self, station):
        data = self.cleaned_data
        return commands.get_composite_schedule.sync(
            station, evse_id=data["evse_id"], duration_s=data["duration_s"], rate_unit=data["rate_unit"] or None
        )

    def describe(self, station, answer):
        schedule = answer.data.get("charging_schedule") or {}
        periods = schedule.get("charging_schedule_period", [])
        return f"{answered(station, answer)}: {len(periods)} period(s), kept with the station"


class ReserveNowForm(CommandForm):
    label = "Reserve now"
    evse_id = evse_field(minimum=0, help_text="0: any EVSE, if the station supports it.")
    id_tag = forms.CharField(label="Id tag", max_length=20)
    expires_at = forms.DateTimeField(label="Expiry (UTC)", initial=lambda: timezone.now() + timedelta(minutes=30))

    def clean_expires_at(self):
        if self.cleaned_data["expires_at"] <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return self.cleaned_data["expires_at"]

    def send(self, station):
        return commands.reserve_now.sync(station, **self.cleaned_data)


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
    def entries(self) -> list[dict]:
        """Every id tag that may charge now (its own and its parent's status Accepted, not expired)."""
        now = timezone.now()
        valid = Q(status=AuthorizationStatus.ACCEPTED) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        parent_valid = Q(parent__isnull=True) | (
            Q(parent__status=AuthorizationStatus.ACCEPTED)
            & (Q(parent__expires_at__isnull=True) | Q(parent__expires_at__gt=now))
        )
        tags = IdTag.objects.filter(valid & parent_valid).select_related("parent").order_by("id_tag")
        return [
            {
                "id_tag": tag.id_tag,
                "status": AuthorizationStatus.ACCEPTED.value,
                "expires_at": iso(tag.expires_at),
                "parent_id_tag": tag.parent.id_tag if tag.parent else None,
            }
            for tag in tags
        ]

    def send(self, station):
        return commands.send_local_list.sync(
            station, version=self.cleaned_data["version"], entries=self.entries, full=True
        )

    def describe(self, station, answer):
        return f"{answered(station, answer)} ({len(self.entries)} id tags, version {self.cleaned_data['version']})"


class RemoteStartForm(CommandForm):
    label = "Remote start"
    intro = "Accepted only means the station agreed: the session appears once the station reports its start."
    evse_id = evse_field()
    id_tag = forms.CharField(label="Id tag", max_length=20)

    def send(self, station):
        return commands.remote_start.sync(station, **self.cleaned_data)
