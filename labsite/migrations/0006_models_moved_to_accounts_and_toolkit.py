"""The models this app created live in ``accounts`` and ``toolkit`` now; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('labsite', '0005_apipartner'),
        ('accounts', '0001_initial'),
        ('toolkit', '0001_initial'),
    ]

    operations = [
        # The tables stay where they are; only Django's idea of which app owns the models
        # changes (the tables are renamed by the next migration).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='apikey',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='apipartner',
                    name='user',
                ),
                migrations.RemoveIndex(
                    model_name='failedlogin',
                    name='failedlogin_user_at_idx',
                ),
                migrations.RemoveIndex(
                    model_name='failedlogin',
                    name='failedlogin_addr_at_idx',
                ),
                migrations.DeleteModel(
                    name='FailedLogin',
                ),
                migrations.RemoveIndex(
                    model_name='workerheartbeat',
                    name='heartbeat_kind_beat_idx',
                ),
                migrations.DeleteModel(
                    name='WorkerHeartbeat',
                ),
                migrations.DeleteModel(
                    name='ApiKey',
                ),
                migrations.DeleteModel(
                    name='ApiPartner',
                ),
            ],
        ),
    ]
