"""Every URL pattern of the project, found by walking Django's resolver, and the security
matrix that classifies each API endpoint: which right it requires, or why it is public.

The matrix is written out by hand on purpose. A test compares it with what the resolver
serves, so an endpoint (or a method of one) that appears without an entry here fails the
suite instead of shipping unreviewed.
"""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# --- the faces and their roots ----------------------------------------------------------------

V2 = "Lab API v2"
ORDERS_API = "Orders API"
ITEM_CANCEL = "Item cancel"
LEGACY_STOCK = "Stock orders (legacy)"

FACE_ROOTS = {
    V2: ("api/v2/", "api/jt/"),
    ORDERS_API: ("orders", "api/auth"),
    ITEM_CANCEL: ("api/orderCancel",),
    LEGACY_STOCK: ("api/orders/",),
}


def face_of(route: str) -> str | None:
    """The API face a route (as the resolver spells it, without a leading slash) belongs to."""
    if route in CATCH_ALL_ROUTES:
        return CATCH_ALL_ROUTES[route][0]
    for face, roots in FACE_ROOTS.items():
        for root in roots:
            if route == root.rstrip("/") or route.startswith(root.rstrip("/") + "/"):
                return face
    return None


# --- the matrix ---------------------------------------------------------------------------------

# A right of ``None``: any valid key will do (no particular right).
AUTHENTICATED = None

# (method, route) -> the Django permission required. Routes exactly as the resolver spells them.
ENDPOINT_RIGHTS: dict[tuple[str, str], str | None] = {
    # Lab API v2: orders
    ("POST", "api/v2/orders"): "orders.add_order",
    ("GET", "api/v2/orders/<str:identifier>"): "orders.view_order",
    ("DELETE", "api/v2/orders/<str:identifier>"): "orders.cancel_order",
    ("GET", "api/v2/orders/<str:identifier>/status"): "orders.view_order",
    ("POST", "api/v2/orders/<str:identifier>/hold"): "orders.hold_order",
    ("POST", "api/v2/orders/<str:identifier>/release"): "orders.hold_order",
    ("POST", "api/v2/orders/<str:identifier>/complete"): "tracker.complete_order",
    ("POST", "api/v2/orders/<str:identifier>/print_ticket"): "printing.print_ticket",
    ("POST", "api/v2/orders/<str:identifier>/tray"): "orders.assign_tray",
    ("GET", "api/v2/orders/<str:identifier>/pick"): "orders.pick",
    ("POST", "api/v2/orders/<str:identifier>/pick"): "orders.pick",
    # Lab API v2: configuration
    ("GET", "api/v2/delete_reasons"): "orders.view_deletereason",
    ("POST", "api/v2/delete_reasons"): "orders.add_deletereason",
    ("GET", "api/v2/delete_reasons/<str:code>"): "orders.view_deletereason",
    ("PATCH", "api/v2/delete_reasons/<str:code>"): "orders.change_deletereason",
    ("DELETE", "api/v2/delete_reasons/<str:code>"): "orders.delete_deletereason",
    ("GET", "api/v2/customers"): "orders.view_customer",
    ("POST", "api/v2/customers"): "orders.add_customer",
    ("GET", "api/v2/customers/<str:number>"): "orders.view_customer",
    ("PATCH", "api/v2/customers/<str:number>"): "orders.change_customer",
    ("GET", "api/v2/addons"): "orders.view_addon",
    ("POST", "api/v2/addons"): "orders.add_addon",
    ("GET", "api/v2/addons/<str:code>"): "orders.view_addon",
    ("PATCH", "api/v2/addons/<str:code>"): "orders.change_addon",
    ("DELETE", "api/v2/addons/<str:code>"): "orders.delete_addon",
    ("GET", "api/v2/settings"): "orders.view_labsettings",
    ("POST", "api/orders/addStock"): "orders.add_stock_order",
    ("PATCH", "api/v2/settings"): "orders.change_labsettings",
    # Lab API v2: job tracking
    ("GET", "api/v2/job_track/stations"): "orders.view_station",
    ("POST", "api/v2/job_track/stations"): "orders.add_station",
    ("GET", "api/v2/job_track/stations/<str:code>"): "orders.view_station",
    ("POST", "api/v2/job_track/stations/<str:code>"): "tracker.check_in",
    ("PATCH", "api/v2/job_track/stations/<str:code>"): "orders.change_station",
    ("DELETE", "api/v2/job_track/stations/<str:code>"): "orders.delete_station",
    ("POST", "api/jt/checkin"): "tracker.check_in",
    # Lab API v2: printing
    ("GET", "api/v2/printers"): "printing.view_printer",
    ("POST", "api/v2/printers"): "printing.add_printer",
    ("GET", "api/v2/printers/<str:name>"): "printing.view_printer",
    ("PATCH", "api/v2/printers/<str:name>"): "printing.change_printer",
    ("DELETE", "api/v2/printers/<str:name>"): "printing.delete_printer",
    ("GET", "api/v2/workstations/<str:code>"): "printing.view_workstation",
    ("PUT", "api/v2/workstations/<str:code>"): "printing.change_workstation",
    ("PATCH", "api/v2/workstations/<str:code>"): "printing.change_workstation",
    # Lab API v2: webhooks
    ("GET", "api/v2/webhooks"): "webhooks.manage_webhooks",
    ("POST", "api/v2/webhooks"): "webhooks.manage_webhooks",
    ("GET", "api/v2/webhooks/<str:id>"): "webhooks.manage_webhooks",
    ("PATCH", "api/v2/webhooks/<str:id>"): "webhooks.manage_webhooks",
    ("DELETE", "api/v2/webhooks/<str:id>"): "webhooks.manage_webhooks",
    ("POST", "api/v2/webhooks/<str:id>/rotate_secret"): "webhooks.manage_webhooks",
    # Orders API: reading needs the view right, as on the Lab API v2; each change its wire right.
    ("GET", "orders"): "orders.view_order",
    ("POST", "orders"): "orders.process_order",  # orderProcess
    ("GET", "orders/<str:order_id>"): "orders.view_order",
    ("DELETE", "orders/<str:order_id>"): "orders.cancel_order",  # orderDelete
    ("POST", "orders/<str:order_id>/status"): "orders.update_order_status",  # orderUpdate
    ("POST", "orders/<str:order_id>/items/<str:item_id>/status"): "orders.update_order_status",
    ("POST", "orders/<str:order_id>/endpoints/<str:endpoint_name>/status"): (
        "orders.update_order_status"
    ),
    ("DELETE", "api/auth"): AUTHENTICATED,  # log out: the key used for the call
    # Item cancel: an API partner (recipe id + billing key) or an API key, with the right.
    ("PUT", "api/orderCancel"): "orders.cancel_order",
}

# (method, route) -> why it answers without a key.
PUBLIC_ENDPOINTS: dict[tuple[str, str], str] = {
    ("POST", "api/auth"): "log in: exchanges a user name and password for a key",
    ("POST", "api/auth/refresh"): "the refresh token in the body is the credential",
}

# Catch-all routes that answer "no such endpoint" in their face's shape.
# route -> (face, requires a key?, why)
CATCH_ALL_ROUTES: dict[str, tuple[str, bool, str]] = {
    "^api/(v2|jt)/": (V2, True, "unknown v2 route: a 404 envelope, after authentication"),
    "^(orders|api/auth)/": (
        ORDERS_API,
        False,
        "unknown Orders API route: a 404 problem that serves no data, key or not",
    ),
}
# A concrete path under each catch-all that no real endpoint serves.
CATCH_ALL_SAMPLES = {
    "^api/(v2|jt)/": ("/api/v2/no-such-endpoint", "/api/jt/no-such-endpoint"),
    "^(orders|api/auth)/": ("/orders/x/no-such-endpoint", "/api/auth/no-such-endpoint"),
}

# Routes that are not API endpoints. route -> why, or where they are covered.
SITE_ROUTES: dict[str, str] = {
    "": "the front door: redirects to the admin, which is covered by test_admin_access",
    # The floor's pages: session login and a Use right per page (tests/workstations).
    "ws/": "the floor's index: a login, lists only the pages the user may use",
    "ws/login/": "the floor's login form (the shared lockout: tests/workstations)",
    "ws/logout/": "the floor's logout",
    "ws/jobscan/": "Job Scan: login and Use Job Scan, else 302/403 (tests/workstations)",
    "ws/tray/": "Tray Assignment: login and Use Tray Assignment (tests/workstations)",
    "ws/cancel/": "Order Cancel: login and Use Order Cancel (tests/workstations)",
    "ws/pick/": "Pick Verification: login and Use Pick Verification (tests/workstations)",
    "ws/display/": "the Dynamic Display: its right, or a display link token (tests/workstations)",
}
ADMIN_PREFIX = "admin/"

# OpenAPI schema and docs routes (drf-spectacular views). Whether they need a key is what
# their views' permission classes (SPECTACULAR_SETTINGS) decide; the matrix checks that they
# answer accordingly, and that every such route is listed here. route -> what it serves.
SCHEMA_ROUTES: dict[str, str] = {
    "api/schema/": "the OpenAPI document: describes the endpoints, holds no lab data",
    "api/docs/": "Swagger UI on that document",
}
SCHEMA_VIEW_MODULE = "drf_spectacular"


# --- the resolver walk --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # as the resolver spells it, includes concatenated, no leading slash
    name: str | None
    callback: object

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def is_schema(self) -> bool:
        view_class = self.view_class
        return view_class is not None and view_class.__module__.startswith(SCHEMA_VIEW_MODULE)

    def methods(self) -> list[str]:
        """The HTTP methods the view implements, OPTIONS and HEAD aside."""
        view_class = self.view_class
        assert view_class is not None, f"{self.route}: not a class-based view"
        return [
            method.upper()
            for method in view_class.http_method_names
            if method not in ("options", "head") and hasattr(view_class, method)
        ]

    def answers_options(self) -> bool:
        return "options" in self.view_class.http_method_names


def _pattern_text(pattern) -> str:
    return str(pattern.pattern)


def walk(patterns=None, prefix: str = "") -> list[Route]:
    """Every URL pattern the project serves, recursively through includes."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes.extend(walk(entry.url_patterns, prefix + _pattern_text(entry)))
        elif isinstance(entry, URLPattern):
            routes.append(Route(prefix + _pattern_text(entry), entry.name, entry.callback))
        else:  # pragma: no cover - Django has only these two
            raise AssertionError(f"unknown URL entry {entry!r}")
    return routes


def api_routes() -> list[Route]:
    return [r for r in walk() if not r.route.startswith(ADMIN_PREFIX)]


# --- concrete paths -----------------------------------------------------------------------------

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def concrete_path(route: str, values) -> str:
    """``route`` with every ``<converter:name>`` filled from ``values(route, name)``."""

    def fill(match: re.Match) -> str:
        return str(values(route, match["name"]))

    path = "/" + PARAMETER.sub(fill, route)
    assert "<" not in path, f"{route}: could not fill {path}"
    assert "(" not in path, f"{route}: a regex route, fill it by hand"
    return path
