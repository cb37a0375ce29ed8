from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from labsite import views
from orders.api.stock import AddStockView
from printing import urls as printing_urls
from toolkit.api.v2_views import UnknownRouteView
from tracker import urls as tracker_urls
from webhooks import urls as webhooks_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ws/", include("workstations.urls")),
    path("api/v2/", include("orders.api.v2.urls")),
    path("api/v2/", include(tracker_urls.v2_urlpatterns)),
    path("api/v2/", include(printing_urls.v2_urlpatterns)),
    path("api/v2/", include(webhooks_urls.v2_urlpatterns)),
    path("api/jt/", include(tracker_urls.legacy_urlpatterns)),
    path("", include("orders.api.pos.urls")),
    path("api/orderCancel", include("orders.api.item_cancel.urls")),
    path("api/orders/addStock", AddStockView.as_view(), name="legacy-add-stock"),
    # The OpenAPI schema of all three faces and Swagger UI on it, open to anyone (see
    # SPECTACULAR_SETTINGS): the endpoints they describe still need a key.
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="openapi-docs"
    ),
    # Must stay last among API routes: anything unmatched answers in the v2 envelope.
    re_path(r"^api/(v2|jt)/", UnknownRouteView.as_view(), name="v2-unknown-route"),
    path("", views.home, name="home"),
]

handler404 = views.page_not_found
handler500 = views.server_error
