"""Every API endpoint refuses a request without a usable key with a 401 in its face's shape,
and every URL pattern of the project is classified (see ``endpoints.py``), so nobody adds an
unprotected endpoint silently."""

from rest_framework.permissions import AllowAny

import pytest

from accounts.authentication import ApiKeyAuthentication
from orders.api.item_cancel.authentication import PartnerAuthentication
from orders.api.item_cancel.views import OrderCancelView

from .conftest import FaceClient, lab_snapshot
from .endpoints import (
    ADMIN_PREFIX,
    CATCH_ALL_ROUTES,
    CATCH_ALL_SAMPLES,
    ENDPOINT_RIGHTS,
    ITEM_CANCEL,
    LEGACY_STOCK,
    ORDERS_API,
    PUBLIC_ENDPOINTS,
    SCHEMA_ROUTES,
    SITE_ROUTES,
    V2,
    api_routes,
    face_of,
    walk,
)
from .shapes import PROBLEM_JSON, assert_past_authorization, assert_unauthenticated

pytestmark = pytest.mark.django_db

NO_KEY = FaceClient()
UNKNOWN_KEY = FaceClient(authorization="Bearer lab_not-a-key-anybody-was-ever-given")
MALFORMED = FaceClient(authorization="Basic dXNlcjpwYXNzd29yZA==")
WITHOUT_USABLE_KEY = {"no key": NO_KEY, "unknown key": UNKNOWN_KEY, "malformed": MALFORMED}


def served_endpoints() -> set[tuple[str, str]]:
    """(method, route) for every method of every non-catch-all API view the resolver serves."""
    return {
        (method, route.route)
        for route in api_routes()
        if route.route not in CATCH_ALL_ROUTES
        and route.route not in SITE_ROUTES
        and not route.is_schema
        for method in route.methods()
    }


# --- classification ---------------------------------------------------------------------------


def test_every_url_pattern_is_classified():
    unclassified = [
        route.route
        for route in walk()
        if not route.route.startswith(ADMIN_PREFIX)
        and route.route not in CATCH_ALL_ROUTES
        and route.route not in SITE_ROUTES
        and route.route not in SCHEMA_ROUTES
        and not any(r == route.route for _, r in ENDPOINT_RIGHTS | PUBLIC_ENDPOINTS)
    ]
    assert not unclassified, (
        f"URL patterns missing from the security matrix (tests/security/endpoints.py): "
        f"{unclassified}"
    )


def test_every_method_of_every_endpoint_is_in_the_matrix_and_nothing_more():
    classified = set(ENDPOINT_RIGHTS) | set(PUBLIC_ENDPOINTS)
    served = served_endpoints()
    assert not ENDPOINT_RIGHTS.keys() & PUBLIC_ENDPOINTS.keys()
    assert served - classified == set(), "served but not in the matrix"
    assert classified - served == set(), "in the matrix but no longer served"


def test_every_api_route_belongs_to_a_face():
    orphans = [
        route.route
        for route in api_routes()
        if route.route not in SITE_ROUTES and not route.is_schema and face_of(route.route) is None
    ]
    assert orphans == []


def test_the_matrix_covers_every_face():
    faces = {face_of(route) for _, route in ENDPOINT_RIGHTS}
    assert faces == {V2, ORDERS_API, ITEM_CANCEL, LEGACY_STOCK}
    assert len(ENDPOINT_RIGHTS) >= 39


def test_the_catch_alls_are_the_last_api_routes_of_their_faces():
    # A catch-all placed before an endpoint would shadow it (and its rights) unnoticed.
    routes = [route.route for route in walk() if not route.route.startswith(ADMIN_PREFIX)]
    for catch_all, (face, _, _) in CATCH_ALL_ROUTES.items():
        position = routes.index(catch_all)
        later = [r for r in routes[position + 1 :] if face_of(r) == face and r != catch_all]
        assert later == [], f"{catch_all} shadows {later}"


# --- 401 on every endpoint --------------------------------------------------------------------


def requests_needing_a_key(lab_data):
    """(face, method, path, body) for every protected endpoint, plus OPTIONS and HEAD."""
    routes = {route.route: route for route in api_routes()}
    calls = []
    for (method, route), _right in sorted(ENDPOINT_RIGHTS.items(), key=lambda e: e[0][::-1]):
        path = lab_data.path(route)
        calls.append((face_of(route), method, path, lab_data.body(method, route)))
        if method == "GET":
            calls.append((face_of(route), "HEAD", path, None))
    for route in sorted({route for _, route in ENDPOINT_RIGHTS}):
        if routes[route].answers_options():
            calls.append((face_of(route), "OPTIONS", lab_data.path(route), None))
    # POST /api/auth needs no key, but logging out and OPTIONS on it do.
    return calls


@pytest.mark.parametrize("credential", list(WITHOUT_USABLE_KEY), ids=list(WITHOUT_USABLE_KEY))
def test_every_endpoint_answers_401_in_its_face_shape_without_a_usable_key(lab_data, credential):
    client = WITHOUT_USABLE_KEY[credential]
    calls = requests_needing_a_key(lab_data)
    assert len(calls) > len(ENDPOINT_RIGHTS)

    for face, method, path, body in calls:
        response = client.send(method, path, body)
        try:
            assert_unauthenticated(face, response, head=method == "HEAD")
        except AssertionError as failure:
            raise AssertionError(f"{method} {path} ({credential}): {failure}") from None


def test_a_refused_request_changes_nothing(lab_data):
    before = lab_snapshot()
    for face, method, path, body in requests_needing_a_key(lab_data):
        assert_unauthenticated(face, NO_KEY.send(method, path, body), head=method == "HEAD")
    assert lab_snapshot() == before


@pytest.mark.parametrize(
    "query",
    [
        {"recipeid": "no-such-partner", "partnerBillingKey": "bm90LWEta2V5"},
        {"recipeid": "no-such-partner"},
        {"partnerBillingKey": "bm90LWEta2V5"},
    ],
    ids=["unknown pair", "recipe id alone", "key alone"],
)
def test_item_cancel_refuses_a_wrong_or_half_partner_pair(lab_data, query):
    response = FaceClient(partner_query=query).send(
        "PUT", lab_data.path("api/orderCancel"), {"Ids": [lab_data.item_id]}
    )
    assert_unauthenticated(ITEM_CANCEL, response)
    assert set(lab_data.order.items.values_list("status", flat=True)) == {"New"}


def test_item_cancel_takes_partner_pairs_and_api_keys_and_nothing_else():
    # Session or basic authentication here would make the admin's cookie a cancel credential.
    assert OrderCancelView.authentication_classes == [PartnerAuthentication, ApiKeyAuthentication]


def test_no_api_view_accepts_session_or_basic_authentication():
    # A browser's admin session must never authenticate an API call (no CSRF on the APIs).
    for route in api_routes():
        if route.route in SITE_ROUTES or route.is_schema:
            continue
        view_class = route.view_class
        classes = view_class().get_authenticators() if view_class else []
        names = {type(a).__name__ for a in classes}
        assert not names & {"SessionAuthentication", "BasicAuthentication"}, route.route


# --- the exceptions: public by design, catch-alls ---------------------------------------------


@pytest.mark.parametrize(("method", "route"), sorted(PUBLIC_ENDPOINTS))
def test_public_endpoints_answer_without_a_key(method, route, lab_data):
    # An empty body: a 400 naming the missing fields proves the view ran without any key.
    response = NO_KEY.send(method, lab_data.path(route), {})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errorCode"] == 3
    assert PUBLIC_ENDPOINTS[(method, route)]


def test_the_v2_catch_all_needs_a_key_before_it_says_not_found(make_user, key_client):
    for path in CATCH_ALL_SAMPLES["^api/(v2|jt)/"]:
        assert_unauthenticated(V2, NO_KEY.send("GET", path))
        response = key_client(make_user()).send("GET", path)
        assert response.status_code == 404
        assert response.json()["error"] == "Not found"


def test_the_orders_api_catch_all_answers_404_and_serves_nothing():
    assert CATCH_ALL_ROUTES["^(orders|api/auth)/"][1] is False
    for path in CATCH_ALL_SAMPLES["^(orders|api/auth)/"]:
        for method in ("GET", "POST", "DELETE"):
            response = NO_KEY.send(method, path, {} if method != "GET" else None)
            assert response.status_code == 404, (method, path)
            assert response["Content-Type"] == PROBLEM_JSON
            body = response.json()
            assert body["status"] == 404
            assert body["detail"] == f"No endpoint at {method} {path}"


def test_schema_routes_are_listed_and_answer_as_their_views_decide():
    schema_routes = [route for route in api_routes() if route.is_schema]
    assert {route.route for route in schema_routes} == set(SCHEMA_ROUTES)
    for route in schema_routes:
        view_class = route.view_class
        public = any(issubclass(p, AllowAny) for p in view_class.permission_classes)
        response = NO_KEY.send("GET", "/" + route.route)
        if public:
            assert_past_authorization(response, route.route)
            assert response.status_code == 200, route.route
        else:
            assert response.status_code in (401, 403), route.route
    # Whatever they decide, the schema views never become the catch-all for a face.
    assert all(route.route not in CATCH_ALL_ROUTES for route in schema_routes)
