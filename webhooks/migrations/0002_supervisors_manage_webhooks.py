from django.contrib.auth.management import create_permissions
from django.db import migrations

# Supervisors manage the subscriptions and see the deliveries.
SUPERVISOR_RIGHTS = ["manage_webhooks", "view_delivery"]


def rights(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="webhooks", codename__in=SUPERVISOR_RIGHTS
    )


def grant(apps, schema_editor):
    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Supervisors")
    group.permissions.add(*rights(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Supervisors"):
        group.permissions.remove(*rights(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_subscriptions_and_outbox"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
