from django.urls import path

from toolkit.api.configuration import configuration_urls

from . import api

v2_urlpatterns = [
    path(
        "orders/<str:identifier>/complete",
        api.CompleteOrderView.as_view(),
        name="v2-order-complete",
    ),
    *configuration_urls(
        "job_track/stations", api.StationListView, api.StationDetailView, name="v2-station"
    ),
]

legacy_urlpatterns = [
    path("checkin", api.LegacyCheckInView.as_view(), name="jt-checkin"),
]
