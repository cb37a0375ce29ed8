"""Worker heartbeats, moved here from the project package's app (``labsite``), which created
their table."""

import django.utils.timezone
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

    initial = True

    dependencies = [
        ('labsite', '0005_apipartner'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay where they are; only Django's idea of which app owns the models
        # changes (the tables are renamed by the next migration).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WorkerHeartbeat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=20)),
                        ('worker_id', models.CharField(max_length=64, unique=True)),
                        ('hostname', models.CharField(blank=True, default='', max_length=255)),
                        ('pid', models.PositiveIntegerField(blank=True, null=True)),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('beat_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'labsite_workerheartbeat',
                        'ordering': ['kind', '-beat_at'],
                        'indexes': [models.Index(fields=['kind', 'beat_at'], name='heartbeat_kind_beat_idx')],
                    },
                ),
            ],
        ),
        move_content_types('labsite', 'toolkit', ['workerheartbeat']),
    ]
