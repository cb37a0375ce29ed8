"""Changing the lab settings, each change recorded."""

from django.db import transaction

from orders.models import LabSettings, LabSettingsChange

from .history import actor_name


def update_lab_settings(*, actor, changes: dict) -> LabSettings:
    """Change lab settings (field name -> value), recording each change in the history."""
    with transaction.atomic():
        lab = LabSettings.load(for_update=True)
        changed = []
        for name, value in changes.items():
            old = getattr(lab, name)
            if old != value:
                setattr(lab, name, value)
                changed.append(name)
                LabSettingsChange.objects.create(
                    actor=actor,
                    actor_name=actor_name(actor),
                    setting=LabSettings._meta.get_field(name).verbose_name,
                    from_value=str(old),
                    to_value=str(value),
                )
        if changed:
            lab.full_clean()
            lab.save(update_fields=changed)
        return lab
