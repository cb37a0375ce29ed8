"""Stations move here from ``tracker``, which created their table: an order refers to its
current station, and the domain core must not depend on the app built on it."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_types(old_app: str, new_app: str, model_names: list[str]):
    """Re-label the moved models' content types, so the permissions granted on them (and the
    groups holding those) follow the models to their new app."""

    def forwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in model_names:
            # A row made for the new app before this ran (none in a normal migrate) would clash.
            ContentType.objects.filter(app_label=new_app, model=model).delete()
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label=new_app)

    def backwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in model_names:
            ContentType.objects.filter(app_label=old_app, model=model).delete()
            ContentType.objects.filter(app_label=new_app, model=model).update(app_label=old_app)

    return migrations.RunPython(forwards, backwards)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0010_work_in_progress_index'),
        ('tracker', '0003_tracker_rights'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay where they are; only Django's idea of which app owns the models
        # changes (the tables are renamed by the next migration).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Station',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(help_text='Case-sensitive.', max_length=10, unique=True)),
                        ('description', models.CharField(max_length=100)),
                        ('customer_description', models.CharField(blank=True, default='', max_length=100)),
                        ('is_operator', models.BooleanField(default=False, help_text='Identifies an operator, not a place.', verbose_name='operator station')),
                        ('non_cancel', models.BooleanField(default=False, help_text='Orders checked in here can no longer be cancelled.')),
                        ('requires_operator', models.BooleanField(default=False)),
                        ('flow_step', models.CharField(blank=True, choices=[('backside_coat', 'Backside Coat'), ('ar_coat', 'AR Coat'), ('tint', 'Tint'), ('mirror', 'Mirror'), ('uv', 'UV'), ('hard_coat', 'Hard Coat'), ('polish', 'Polish'), ('etching', 'Etching'), ('drop_ball', 'Drop Ball'), ('final_qa', 'Final QA')], default='', help_text='The flow step this station performs, if any.', max_length=20)),
                    ],
                    options={
                        'db_table': 'tracker_station',
                        'ordering': ['code'],
                    },
                ),
                migrations.AlterField(
                    model_name='order',
                    name='current_station',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orders.station'),
                ),
            ],
        ),
        move_content_types('tracker', 'orders', ['station']),
    ]
