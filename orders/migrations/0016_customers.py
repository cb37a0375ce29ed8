# Customers become records: every customer number the orders carry becomes a customer (named
# by its number until someone names it), and each order refers to its customer. A number
# longer than a customer number may be (8 characters) stops the migration, naming the orders
# that carry it, rather than being cut short: shorten those first.

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


NUMBER_LENGTH = 8
# Supervisors keep the customers; client systems read them.
GROUP_RIGHTS = {
    "Supervisors": ["view_customer", "add_customer", "change_customer", "delete_customer"],
    "Lab clients": ["view_customer"],
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


def customers_from_numbers(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Customer = apps.get_model("orders", "Customer")
    numbers = (
        Order.objects.exclude(customer_number="")
        .values_list("customer_number", flat=True)
        .order_by()
        .distinct()
    )
    too_long = sorted(number for number in numbers if len(number) > NUMBER_LENGTH)
    if too_long:
        orders = Order.objects.filter(customer_number__in=too_long).values_list("number", flat=True)
        raise RuntimeError(
            f"Customer numbers longer than {NUMBER_LENGTH} characters: {', '.join(too_long)}"
            f" (orders {', '.join(str(n) for n in orders[:20])}). Shorten them, then migrate."
        )
    for number in numbers:
        customer, _ = Customer.objects.get_or_create(number=number, defaults={"name": number})
        Order.objects.filter(customer_number=number).update(customer=customer)


def numbers_from_customers(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for customer in apps.get_model("orders", "Customer").objects.all():
        Order.objects.filter(customer=customer).update(customer_number=customer.number)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0015_every_order_a_job'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Customer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(help_text='At most 8 characters, case-sensitive.', max_length=8, unique=True)),
                ('name', models.CharField(max_length=100)),
                ('ship_to_name', models.CharField(blank=True, default='', max_length=100, verbose_name='ship-to name')),
                ('ship_to_address1', models.CharField(blank=True, default='', max_length=100, verbose_name='ship-to address 1')),
                ('ship_to_address2', models.CharField(blank=True, default='', max_length=100, verbose_name='ship-to address 2')),
                ('ship_to_address3', models.CharField(blank=True, default='', max_length=100, verbose_name='ship-to address 3')),
                ('ship_to_address4', models.CharField(blank=True, default='', max_length=100, verbose_name='ship-to address 4')),
                ('ship_to_postal_code', models.CharField(blank=True, default='', max_length=20, verbose_name='ship-to postal code')),
                ('active', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['number'],
            },
        ),
        migrations.AddField(
            model_name='order',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='orders.customer'),
        ),
        migrations.RunPython(customers_from_numbers, numbers_from_customers),
        migrations.RunPython(grant, revoke),
    ]
