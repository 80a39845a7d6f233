"""The forms of the station commands that ask for parameters (see `ask_then_send`).

Each form names its command (`label`), sends it to one station (`send`) and
may word the success message itself (`describe`). Forms of commands about
what `sessions` owns (remote start, reservations, the local list) are in
sessions/admin/commands.py.
"""

from django import forms
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils import timezone

from csms.ocpp import commands
from csms.ocpp.commands import Answer, Variable, VariableValue
from csms.ocpp.values import iso
from stations import charging_schedules, configuration
from stations.models import ChargingStation


def answered(station: ChargingStation, answer: Answer) -> str:
    """The charger's own words: "CP-1: Reset Accepted"."""
    return f"{station}: {answer.action} {answer.status or 'answered'}"


def send(station: ChargingStation, command: commands.Command) -> Answer:
    return commands.send.sync(station.pk, command)


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
    evse_number = evse_field(
        initial=None, required=False, help_text="For StatusNotification and MeterValues; empty: all."
    )

    def send(self, station):
        data = self.cleaned_data
        return send(station, commands.TriggerMessage(message=data["message"], evse_number=data["evse_number"]))

    def describe(self, station, answer):
        return f"{answered(station, answer)} ({self.cleaned_data['message']})"


class UnlockConnectorForm(CommandForm):
    label = "Unlock connector"
    evse_number = evse_field()

    def send(self, station):
        return send(station, commands.UnlockConnector(evse_number=self.cleaned_data["evse_number"]))


class ChangeAvailabilityForm(CommandForm):
    label = "Change availability"
    evse_number = evse_field(minimum=0, initial=0, help_text="0: the whole station.")
    availability = forms.ChoiceField(choices=[("Operative", "Operative"), ("Inoperative", "Inoperative")])

    def send(self, station):
        operative = self.cleaned_data["availability"] == "Operative"
        return send(
            station, commands.ChangeAvailability(evse_number=self.cleaned_data["evse_number"], operative=operative)
        )


class UpdateFirmwareForm(CommandForm):
    label = "Update firmware"
    intro = "The station downloads the firmware from the location at the retrieve date; its progress shows on the station page."
    location = location_field("Where the station downloads the firmware from.")
    retrieve_at = forms.DateTimeField(label="Retrieve date (UTC)", initial=timezone.now)
    retries = forms.IntegerField(min_value=0, required=False)
    retry_interval = forms.IntegerField(label="Retry interval (s)", min_value=0, required=False)

    def send(self, station):
        return send(station, commands.UpdateFirmware(**self.cleaned_data))

    def describe(self, station, answer):
        return f"{station}: {answer.action} acknowledged; its progress shows as the station's firmware status"


class GetDiagnosticsForm(CommandForm):
    label = "Get diagnostics"
    location = location_field("Where the station uploads its diagnostics file to.")

    def send(self, station):
        return send(station, commands.GetDiagnostics(location=self.cleaned_data["location"]))

    def describe(self, station, answer):
        file_name = answer.data.get("file_name")
        return f"{station}: {answer.action}: " + (f"uploading {file_name}" if file_name else "no diagnostics to upload")


class DataTransferForm(CommandForm):
    label = "Data transfer"
    vendor_id = forms.CharField(label="Vendor id", max_length=255)
    message_id = forms.CharField(label="Message id", max_length=50, required=False)
    data = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def send(self, station):
        return send(station, commands.DataTransfer(**{k: v or None for k, v in self.cleaned_data.items()}))

    def describe(self, station, answer):
        data = answer.data.get("data")
        return answered(station, answer) + (f", data: {data}" if data else "")


class ChangeConfigurationForm(CommandForm):
    label = "Change configuration"
    key = forms.CharField(max_length=50)
    value = forms.CharField(max_length=500)

    def send(self, station):
        return configuration.change_configuration.sync(station_id=station.pk, **self.cleaned_data)

    def describe(self, station, answer):
        return f"{answered(station, answer)} ({self.cleaned_data['key']}={self.cleaned_data['value']})"


class GetVariablesForm(CommandForm):
    label = "Get variables"
    intro = "OCPP 2.0.1 stations: read one variable of the device model; the value is kept."
    component = forms.CharField(max_length=50, initial="OCPPCommCtrlr")
    variable = forms.CharField(max_length=50, initial="HeartbeatInterval")

    def send(self, station):
        variable = Variable(component=self.cleaned_data["component"], variable=self.cleaned_data["variable"])
        return configuration.get_variables.sync(station_id=station.pk, variables=[variable])

    def describe(self, station, answer):
        [result] = answer.result
        return f"{station}: {self.cleaned_data['component']}.{self.cleaned_data['variable']} = {result.value} ({result.status})"


class SetVariablesForm(CommandForm):
    label = "Set variables"
    intro = "OCPP 2.0.1 stations: set one variable of the device model."
    component = forms.CharField(max_length=50, initial="OCPPCommCtrlr")
    variable = forms.CharField(max_length=50, initial="HeartbeatInterval")
    value = forms.CharField(max_length=1000)

    def send(self, station):
        data = self.cleaned_data
        value = VariableValue(component=data["component"], variable=data["variable"], value=data["value"])
        return configuration.set_variables.sync(station_id=station.pk, values=[value])

    def describe(self, station, answer):
        [result] = answer.result
        return f"{station}: {self.cleaned_data['component']}.{self.cleaned_data['variable']} {result.status}"


class SetChargingProfileForm(CommandForm):
    label = "Set charging profile"
    intro = "One limit from now on, until the profile is cleared or replaced (same profile id)."
    evse_number = evse_field(
        minimum=0, initial=1, help_text="0: the whole station (StationMax, or TxDefault for every EVSE)."
    )
    limit = forms.DecimalField(min_value=0, max_digits=9, decimal_places=1)
    rate_unit = forms.ChoiceField(label="Unit", choices=RATE_UNITS)
    purpose = forms.ChoiceField(choices=PURPOSES)
    profile_id = forms.IntegerField(label="Profile id", min_value=1, initial=1)
    stack_level = forms.IntegerField(label="Stack level", min_value=0, initial=0)

    def clean(self):
        data = super().clean()
        if data.get("purpose") == "StationMax" and data.get("evse_number") not in (None, 0):
            self.add_error("evse_number", "A StationMax profile is set on EVSE 0, the whole station.")
        if data.get("purpose") == "Tx" and data.get("evse_number") == 0:
            self.add_error("evse_number", "A Tx profile is set on the EVSE of the running session.")
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
        return send(station, commands.SetChargingProfile(evse_number=data["evse_number"], profile=profile))


class ClearChargingProfileForm(CommandForm):
    label = "Clear charging profile"
    intro = "Clears the profiles that match every field given; with all fields empty, every profile."
    profile_id = forms.IntegerField(label="Profile id", min_value=1, required=False)
    evse_number = evse_field(minimum=0, initial=None, required=False)
    purpose = forms.ChoiceField(choices=[("", "any")] + PURPOSES, required=False)
    stack_level = forms.IntegerField(label="Stack level", min_value=0, required=False)

    def send(self, station):
        data = {k: v if v != "" else None for k, v in self.cleaned_data.items()}
        return send(station, commands.ClearChargingProfile(**data))


class GetCompositeScheduleForm(CommandForm):
    label = "Get composite schedule"
    evse_number = evse_field(minimum=0, help_text="0: the whole station's grid connection.")
    duration_s = forms.IntegerField(label="Duration (s)", min_value=1, initial=3600)
    rate_unit = forms.ChoiceField(label="Unit", choices=[("", "the station's choice")] + RATE_UNITS, required=False)

    def send(self, station):
        data = self.cleaned_data
        return charging_schedules.get_composite_schedule.sync(
            station_id=station.pk,
            evse_number=data["evse_number"],
            duration_s=data["duration_s"],
            rate_unit=data["rate_unit"] or None,
        )

    def describe(self, station, answer):
        schedule = answer.data.get("charging_schedule") or {}
        periods = schedule.get("charging_schedule_period", [])
        return f"{answered(station, answer)}: {len(periods)} period(s), kept with the station"
