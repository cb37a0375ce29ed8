from django.urls import path, re_path

from . import auth, base, views

urlpatterns = [
    path("orders", views.OrderCollectionView.as_view(), name="orders-api-orders"),
    path("orders/<str:order_id>", views.OrderView.as_view(), name="orders-api-order"),
    path(
        "orders/<str:order_id>/status",
        views.OrderStatusView.as_view(),
        name="orders-api-order-status",
    ),
    path(
        "orders/<str:order_id>/items/<str:item_id>/status",
        views.ItemStatusView.as_view(),
        name="orders-api-item-status",
    ),
    path(
        "orders/<str:order_id>/endpoints/<str:endpoint_name>/status",
        views.EndpointStatusView.as_view(),
        name="orders-api-endpoint-status",
    ),
    path("api/auth", auth.LoginView.as_view(), name="orders-api-auth"),
    path("api/auth/refresh", auth.RefreshView.as_view(), name="orders-api-auth-refresh"),
    re_path(r"^(orders|api/auth)/", base.UnknownRouteView.as_view(), name="orders-api-unknown"),
]
