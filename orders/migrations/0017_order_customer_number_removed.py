# The customer number now lives on the customer (0016): the order's own column goes. A
# migration of its own, so that PostgreSQL has no pending foreign-key checks of 0016's updates
# when the table is altered.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0016_customers'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='order',
            name='order_custjob_idx',
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['customer', 'customer_job_id'], name='order_customer_job_idx'),
        ),
        migrations.RemoveField(
            model_name='order',
            name='customer_number',
        ),
    ]
