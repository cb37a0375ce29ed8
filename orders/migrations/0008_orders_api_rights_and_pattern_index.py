"""Rights of the Orders API for the groups, and a pattern index for ticketName searches.

``ticketName=startswith:...`` is case-insensitive: Django asks PostgreSQL for
``UPPER(ticket_name::text) LIKE UPPER('abc%')``, which only an expression index with
``text_pattern_ops`` can answer. SQLite has no such operator class and needs none.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_RIGHTS = {
    "Supervisors": ["orders.process_order", "orders.update_order_status"],
    "Lab clients": ["orders.process_order", "orders.update_order_status"],
}

PATTERN_INDEX = "order_ticket_name_upper_idx"


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, rights in GROUP_RIGHTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for right in rights:
            app_label, codename = right.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, rights in GROUP_RIGHTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        for right in rights:
            app_label, codename = right.split(".")
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


def create_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {PATTERN_INDEX} ON orders_order "
            "(UPPER(ticket_name::text) text_pattern_ops)"
        )


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PATTERN_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_orders_api"),
        ("labsite", "0002_rights_groups"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(create_pattern_index, drop_pattern_index),
    ]
