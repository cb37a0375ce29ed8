"""Stations are ``orders.Station`` now (orders/migrations/0011): check-ins refer to it there."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0011_station_moved_from_tracker'),
        ('tracker', '0003_tracker_rights'),
    ]

    operations = [
        # The tables stay where they are; only Django's idea of which app owns the models
        # changes (the tables are renamed by the next migration).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='checkin',
                    name='station',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='checkins', to='orders.station'),
                ),
                migrations.AlterField(
                    model_name='checkin',
                    name='operator',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='operator_checkins', to='orders.station'),
                ),
                migrations.DeleteModel(
                    name='Station',
                ),
            ],
        ),
    ]
