from django.urls import path

from toolkit.api.configuration import configuration_urls

from . import catalogue, config, floor, views

urlpatterns = [
    path("orders", views.OrderListView.as_view(), name="v2-orders"),
    path("orders/<str:identifier>", views.OrderDetailView.as_view(), name="v2-order"),
    path("orders/<str:identifier>/status", views.OrderStatusView.as_view(), name="v2-order-status"),
    path("orders/<str:identifier>/hold", views.OrderHoldView.as_view(), name="v2-order-hold"),
    path(
        "orders/<str:identifier>/release",
        views.OrderReleaseView.as_view(),
        name="v2-order-release",
    ),
    path(
        "orders/<str:identifier>/tray",
        floor.TrayAssignmentView.as_view(),
        name="v2-order-tray",
    ),
    path(
        "orders/<str:identifier>/pick",
        floor.PickVerificationView.as_view(),
        name="v2-order-pick",
    ),
    *configuration_urls(
        "delete_reasons",
        config.DeleteReasonListView,
        config.DeleteReasonDetailView,
        name="v2-delete-reason",
    ),
    path("settings", config.LabSettingsView.as_view(), name="v2-settings"),
    *configuration_urls(
        "customers",
        catalogue.CustomerListView,
        catalogue.CustomerDetailView,
        name="v2-customer",
    ),
    *configuration_urls(
        "addons", catalogue.AddonListView, catalogue.AddonDetailView, name="v2-addon"
    ),
]
