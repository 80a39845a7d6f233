"""The sessions list's filters as a form: GET parameters in, plain validated values out.

The form only validates; dashboard.selectors.sessions turns the values into a
query. A bad value is an error the page shows next to its field (and the CSV
export answers 400 with), never a 500.
"""

from datetime import datetime

from django import forms

from dashboard.selectors.sessions import Cursor, SessionFilters, State
from stations.models import ChargingStation, Location


class SessionFilterForm(forms.Form):
    # Typed, not picked from a list: a network of 10,000 sites makes a <select> of half a megabyte.
    site = forms.CharField(required=False, max_length=255, label="Site", help_text="Its name (or id)")
    station = forms.CharField(required=False, max_length=64, label="Station", help_text="Charge point id")
    driver = forms.CharField(required=False, max_length=254, label="Token or driver", help_text="Id token or e-mail")
    date_from = forms.DateField(required=False, label="Started from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    state = forms.ChoiceField(choices=[("", "Any state"), *State.choices], required=False)
    # Keyset paging: the last row of the page before (older pages) or the first of the page after (newer).
    before = forms.CharField(required=False, widget=forms.HiddenInput)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_site(self) -> Location | None:
        """The site by id, by its exact name, or by the one name that contains the words typed."""
        text = self.cleaned_data["site"].strip()
        if not text:
            return None
        if text.isdigit() and (by_id := Location.objects.filter(pk=int(text)).first()):
            return by_id
        exact = list(Location.objects.filter(name__iexact=text)[:2])
        matches = exact or list(Location.objects.filter(name__icontains=text).order_by("name")[:4])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise forms.ValidationError(f"No site is called {text!r}.")
        names = ", ".join(repr(site.name) for site in matches[:3])
        raise forms.ValidationError(f"Several sites match {text!r} ({names}{', ...' if len(matches) > 3 else ''}).")

    def clean_station(self) -> ChargingStation | None:
        charge_point_id = self.cleaned_data["station"].strip()
        if not charge_point_id:
            return None
        station = ChargingStation.objects.filter(charge_point_id=charge_point_id).first()
        if station is None:
            raise forms.ValidationError(f"No station has the id {charge_point_id!r}.")
        return station

    def clean_before(self) -> Cursor | None:
        return _cursor(self.cleaned_data["before"])

    def clean_after(self) -> Cursor | None:
        return _cursor(self.cleaned_data["after"])

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The range ends before it starts.")
        if cleaned.get("before") and cleaned.get("after"):
            raise forms.ValidationError("Page either before or after a session, not both.")
        return cleaned

    def filters(self) -> SessionFilters:
        """The validated values; call after is_valid()."""
        data = self.cleaned_data
        return SessionFilters(
            site=data.get("site"),
            station=data.get("station"),
            driver=data.get("driver", "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            state=data.get("state", ""),
        )

    def errors_text(self) -> str:
        """The errors as one sentence, for a JSON answer's detail."""
        return "; ".join(
            f"{'' if field == '__all__' else field + ': '}{' '.join(messages)}"
            for field, messages in self.errors.items()
        )


def _cursor(text: str) -> Cursor | None:
    """A page boundary as the list writes it in its links: `<ISO start>_<id>`."""
    if not text:
        return None
    started, _, pk = text.rpartition("_")
    try:
        moment = datetime.fromisoformat(started)
        number = int(pk)
    except ValueError:
        raise forms.ValidationError("Not a page of this list.") from None
    if moment.tzinfo is None:
        raise forms.ValidationError("Not a page of this list.")
    return Cursor(started_at=moment, pk=number)
