"""Job-tracking rights for the groups, and the Stations group for scanners at stations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_RIGHTS = {
    "Supervisors": [
        "tracker.check_in",
        "tracker.complete_order",
        "tracker.delete_station",
        "tracker.view_completionrequest",
    ],
    "Lab clients": [
        "tracker.check_in",
        "tracker.complete_order",
        "tracker.view_station",
    ],
    "Stations": [
        "orders.view_order",
        "tracker.check_in",
        "tracker.view_station",
    ],
}


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
    Group.objects.filter(name="Stations").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("labsite", "0002_rights_groups"),
        ("tracker", "0002_alter_checkin_options_completionrequest"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
