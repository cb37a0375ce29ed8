from django.urls import path

from . import api

v2_urlpatterns = [
    path(
        "orders/<str:identifier>/print_ticket",
        api.PrintTicketView.as_view(),
        name="v2-order-print-ticket",
    ),
    path("printers", api.PrinterListView.as_view(), name="v2-printers"),
    path("printers/<str:name>", api.PrinterDetailView.as_view(), name="v2-printer"),
    path("workstations/<str:code>", api.WorkstationView.as_view(), name="v2-workstation"),
]
