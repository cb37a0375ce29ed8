from django.urls import path

from toolkit.api.configuration import configuration_urls

from . import api

v2_urlpatterns = [
    *configuration_urls("webhooks", api.WebhookListView, api.WebhookDetailView, name="v2-webhook"),
    path(
        "webhooks/<str:id>/rotate_secret", api.RotateSecretView.as_view(), name="v2-webhook-rotate"
    ),
]
