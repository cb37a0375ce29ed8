"""API keys, API partners and failed logins, moved here from the project package's app
(``labsite``), which created their tables."""

import accounts.models
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
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
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('labsite', '0005_apipartner'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay where they are; only Django's idea of which app owns the models
        # changes (the tables are renamed by the next migration).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('prefix', models.CharField(editable=False, help_text='The start of the key, to recognise it by.', max_length=16)),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('expires_at', models.DateTimeField(blank=True, help_text='Leave empty for a key that does not expire.', null=True)),
                        ('from_login', models.BooleanField(default=False, editable=False)),
                        ('device_name', models.CharField(blank=True, default='', editable=False, max_length=100)),
                        ('refresh_hash', models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True)),
                        ('refresh_expires_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_keys', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'labsite_apikey',
                        'verbose_name': 'API key',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ApiPartner',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='Shown in the history of the orders it changes.', max_length=100, unique=True)),
                        ('recipe_id', models.CharField(default=accounts.models.new_recipe_id, help_text='Public: the partner sends it as recipeid. Generated unless you enter one.', max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9._~-]+$', 'Letters, digits and . _ ~ - only (nothing a URL would need to encode).')], verbose_name='recipe id')),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('is_active', models.BooleanField(default=True, help_text='Inactive partners are refused (401). Rotate the key before re-activating a partner whose key may have leaked.', verbose_name='active')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('user', models.ForeignKey(help_text="The partner acts with this user's rights: it needs orders.cancel_order.", on_delete=django.db.models.deletion.PROTECT, related_name='api_partners', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'labsite_apipartner',
                        'verbose_name': 'API partner',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='FailedLogin',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('username', models.CharField(max_length=150)),
                        ('remote_addr', models.CharField(blank=True, default='', max_length=45)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'labsite_failedlogin',
                        'ordering': ['-at'],
                        'indexes': [models.Index(fields=['username', 'at'], name='failedlogin_user_at_idx'), models.Index(fields=['remote_addr', 'at'], name='failedlogin_addr_at_idx')],
                    },
                ),
            ],
        ),
        move_content_types('labsite', 'accounts', ['apikey', 'apipartner', 'failedlogin']),
    ]
