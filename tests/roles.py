"""The operators' roles, as every roles migration defines them, for tests whose flush emptied the tables.

A transactional test's flush deletes the groups the migrations made; this makes them again from the very
functions those migrations run, so a test sees what production has — roaming's and alerts' grants too.
"""

from importlib import import_module

from django.apps import apps

# Each app's migration that grants the roles something, in the order they run.
GRANTS = [
    "alerts.migrations.0002_roles",
    "roaming.migrations.0002_roles",
    "roaming.migrations.0003_push",
    "roaming.migrations.0008_roles",
]


def define_roles() -> None:
    import_module("csms.migrations.0001_roles").define_groups(apps)
    for module in GRANTS:
        import_module(module).grant(apps, None)
