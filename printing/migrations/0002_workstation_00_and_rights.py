"""Workstation 00 (the one the API prints with) with its nine empty LPT ports, and the
printing rights for the groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_RIGHTS = {
    "Supervisors": [
        "printing.print_ticket",
        "printing.view_printer",
        "printing.add_printer",
        "printing.change_printer",
        "printing.delete_printer",
        "printing.view_workstation",
        "printing.change_workstation",
        "printing.view_printjob",
        "printing.change_printjob",
    ],
    "Lab clients": ["printing.print_ticket"],
}


def forward(apps, schema_editor):
    Workstation = apps.get_model("printing", "Workstation")
    WorkstationPort = apps.get_model("printing", "WorkstationPort")
    workstation, _ = Workstation.objects.get_or_create(
        code="00", defaults={"description": "API printing"}
    )
    for number in range(1, 10):
        WorkstationPort.objects.get_or_create(workstation=workstation, number=number)

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


class Migration(migrations.Migration):
    dependencies = [
        ("printing", "0001_initial"),
        ("labsite", "0002_rights_groups"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
