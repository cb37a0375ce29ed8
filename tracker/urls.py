from django.urls import path

from . import api

v2_urlpatterns = [
    path(
        "orders/<str:identifier>/complete",
        api.CompleteOrderView.as_view(),
        name="v2-order-complete",
    ),
    path("job_track/stations", api.StationListView.as_view(), name="v2-stations"),
    path("job_track/stations/<str:code>", api.StationDetailView.as_view(), name="v2-station"),
]

legacy_urlpatterns = [
    path("checkin", api.LegacyCheckInView.as_view(), name="jt-checkin"),
]
