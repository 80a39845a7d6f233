"""The operators' roles as Django groups: viewer, operator, finance.

Give a staff user one (or more) of these groups in the admin (Users → Groups).
Every role sees every record of the network (view permissions); what each may
do besides:

- viewer: nothing; looks only.
- operator: runs the network: sends commands to chargers (reset, unlock, remote
  start/stop, reservations, configuration, firmware, ...), accepts and rejects
  stations, adds and edits locations, stations, EVSEs, connectors and id tags.
- finance: the money: tariffs (and where they apply), refunds, invoices
  (sent again), invoice issuers and billing accounts.

Permissions are listed here, frozen as this migration, rather than read from
the live models: a role changes by a new migration, never silently.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Every model of these apps is visible to every role.
NETWORK_APPS = ["stations", "charging", "billing", "ocpp"]

OPERATOR = [
    "stations.command_station",
    "stations.accept_station",
    *(
        f"stations.{verb}_{model}"
        for verb in ("add", "change")
        for model in ("location", "chargingstation", "evse", "connector")
    ),
    "charging.add_idtag",
    "charging.change_idtag",
]
FINANCE = [
    *(
        f"billing.{verb}_{model}"
        for verb in ("add", "change", "delete")
        for model in ("tariff", "tariffelement", "pricecomponent", "tariffassignment")
    ),
    "billing.change_payment",  # refunds
    "billing.change_invoice",  # send again
    *(f"billing.{verb}_{model}" for verb in ("add", "change") for model in ("invoiceissuer", "billingaccount")),
]


def create_roles(apps, schema_editor) -> None:
    _create_all_permissions(apps)
    define_groups(apps)


def define_groups(apps) -> None:
    """The groups with their permissions (tests call it again after a flush emptied the tables)."""
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    view = list(Permission.objects.filter(content_type__app_label__in=NETWORK_APPS, codename__startswith="view_"))
    for name, extra in (("viewer", []), ("operator", OPERATOR), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(view + [_permission(Permission, label) for label in extra])


def _create_all_permissions(apps) -> None:
    """Django creates permissions after the last migration; the roles need them now."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _permission(Permission, label: str):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def remove_roles(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator", "finance"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("stations", "0003_secrets_station_permissions"),
        ("charging", "0002_driversession"),
        ("billing", "0004_stripe_events"),
        ("ocpp", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
