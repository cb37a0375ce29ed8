# Supervisors keep the addons; client systems read them (accounts/rights.py).

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_RIGHTS = {
    "Supervisors": ["view_addon", "add_addon", "change_addon", "delete_addon"],
    "Lab clients": ["view_addon"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("orders")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GROUP_RIGHTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUP_RIGHTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="orders", codename__in=GROUP_RIGHTS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0020_addons"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(grant, revoke)]
