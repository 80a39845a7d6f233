"""The operators' roles (csms/migrations/0001_roles.py) on alerts: every role sees them, operators handle them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SEE = "view_alert"
HANDLE = "change_alert"  # acknowledge and resolve


def grant(apps, schema_editor) -> None:
    app_config = apps.get_app_config("alerts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    see, handle = (Permission.objects.get(content_type__app_label="alerts", codename=c) for c in (SEE, HANDLE))
    for group in Group.objects.filter(name__in=["viewer", "operator", "finance"]):
        group.permissions.add(see, *([handle] if group.name == "operator" else []))


def revoke(apps, schema_editor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type__app_label="alerts", codename__in=[SEE, HANDLE]):
        permission.group_set.clear()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("csms", "0001_roles")]

    operations = [migrations.RunPython(grant, revoke)]
