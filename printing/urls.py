from django.urls import path

from toolkit.api.configuration import configuration_urls

from . import api

v2_urlpatterns = [
    path(
        "orders/<str:identifier>/print_ticket",
        api.PrintTicketView.as_view(),
        name="v2-order-print-ticket",
    ),
    *configuration_urls("printers", api.PrinterListView, api.PrinterDetailView, name="v2-printer"),
    path("workstations/<str:code>", api.WorkstationView.as_view(), name="v2-workstation"),
]
