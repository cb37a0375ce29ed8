from django.contrib import admin
from django.urls import include, path, re_path

from labsite import views
from orders.api.v2.base import UnknownRouteView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v2/", include("orders.api.v2.urls")),
    # Must stay last among /api/v2/ routes: anything unmatched answers in the v2 envelope.
    re_path(r"^api/v2/", UnknownRouteView.as_view(), name="v2-unknown-route"),
    path("", views.home, name="home"),
]

handler404 = views.page_not_found
handler500 = views.server_error
