"""The operators' roles extended to what roaming gained since 0003: every role sees the partners' commands,
the real-time authorization answers, the parties behind a hub and what is published to whom; the operator
also chooses which locations a partner sees (add/change location publishing). Frozen, as the roles are."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["command", "realtimeauthorization", "hubclientinfo", "locationpublishing"]
VIEW = [f"view_{model}" for model in MODELS]
OPERATOR = ["add_locationpublishing", "change_locationpublishing"]


def grant(apps, schema_editor) -> None:
    roaming = apps.get_app_config("roaming")
    roaming.models_module = True  # Django creates permissions after the last migration; the roles need them now
    create_permissions(roaming, apps=apps, verbosity=0)
    roaming.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator", "finance"]):
        codenames = VIEW + (OPERATOR if group.name == "operator" else [])
        group.permissions.add(*Permission.objects.filter(content_type__app_label="roaming", codename__in=codenames))


def revoke(apps, schema_editor) -> None:
    Permission = apps.get_model("auth", "Permission")
    granted = Permission.objects.filter(content_type__app_label="roaming", codename__in=VIEW + OPERATOR)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator", "finance"]):
        group.permissions.remove(*granted)


class Migration(migrations.Migration):
    dependencies = [("roaming", "0007_hubs")]

    operations = [migrations.RunPython(grant, revoke)]
