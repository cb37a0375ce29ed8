"""The groups that carry rights: Supervisors run the lab, Lab clients are client systems."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_RIGHTS = {
    "Supervisors": [
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.cancel_order",
        "orders.hold_order",
        "orders.view_orderevent",
        "orders.view_deletereason",
        "orders.add_deletereason",
        "orders.change_deletereason",
        "orders.delete_deletereason",
        "orders.view_labsettings",
        "orders.change_labsettings",
        "orders.view_labsettingschange",
        "tracker.view_station",
        "tracker.add_station",
        "tracker.change_station",
        "tracker.view_checkin",
    ],
    "Lab clients": [
        "orders.view_order",
        "orders.add_order",
        "orders.cancel_order",
        "orders.view_deletereason",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrations; the groups need them now.
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


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_RIGHTS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("labsite", "0001_initial"),
        ("orders", "0002_initial"),
        ("tracker", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
