"""The operators' roles (csms/migrations/0001_roles.py) extended to roaming.

Every role sees partners and the OCPI request log; the operator also adds partners, issues their token A,
registers with partners and unregisters them (add/change partner). Frozen here, as the roles are.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_partner", "view_requestlog"]
OPERATOR = ["add_partner", "change_partner"]


def grant(apps, schema_editor) -> None:
    roaming = apps.get_app_config("roaming")
    roaming.models_module = True  # Django creates permissions after the last migration; the roles need them now
    create_permissions(roaming, apps=apps, verbosity=0)
    roaming.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=["viewer", "operator", "finance"]):
        codenames = VIEW + (OPERATOR if group.name == "operator" else [])
        group.permissions.add(*Permission.objects.filter(content_type__app_label="roaming", codename__in=codenames))


def revoke(apps, schema_editor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator", "finance"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="roaming"))


class Migration(migrations.Migration):
    dependencies = [("roaming", "0001_initial"), ("csms", "0001_roles")]

    operations = [migrations.RunPython(grant, revoke)]
