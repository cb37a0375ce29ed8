"""Every endpoint under /api/v2/ requires a usable API key and the right its view names.

The endpoints are found by walking Django's URL resolver, so an endpoint added later is
covered without touching this file.
"""

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

import pytest

from accounts.models import ApiKey
from tests.conftest import Api

pytestmark = pytest.mark.django_db

PREFIX = "api/v2/"
CATCH_ALL = "v2-unknown-route"  # tested in test_errors.py
HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# A sample value per path converter, to build a concrete URL from a route.
SAMPLES = {
    "str": "sample",
    "slug": "sample",
    "int": "1",
    "path": "sample",
    "uuid": str(uuid.UUID(int=1)),
}

AUTHENTICATION_REQUIRED = {"error": "Authentication required", "details": []}

# Refused before the view runs: key lookup and rights, never the view's own queries.
AUTH_QUERY_CEILING = 4


@dataclass(frozen=True)
class Endpoint:
    url: str
    method: str
    view_class: type
    name: str

    def __str__(self) -> str:
        return f"{self.method.upper()} /{self.url}"

    @property
    def required_right(self) -> str | None:
        return self.view_class.required_rights.get(self.method.upper())


_PARAMETER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")


def _concrete(route: str) -> str:
    """``route`` with each ``<converter:name>`` replaced by a sample value."""

    def sample(match: re.Match) -> str:
        kind = match["kind"] or "str"
        assert kind in SAMPLES, f"{route!r}: add a sample value for converter {kind!r}"
        return SAMPLES[kind]

    return _PARAMETER.sub(sample, route)


def _is_under_prefix(regex_route: str) -> bool:
    return regex_route.lstrip("^").startswith(PREFIX)


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if not isinstance(entry.pattern, RoutePattern):
                assert not _is_under_prefix(prefix + str(entry.pattern)), (
                    f"{entry.pattern}: a regex include under /{PREFIX}; teach this walk to fill it"
                )
                continue
            yield from _walk(entry.url_patterns, prefix + _concrete(str(entry.pattern)))
        elif isinstance(entry, URLPattern):
            yield prefix, entry


def discover_endpoints() -> list[Endpoint]:
    endpoints = []
    for prefix, pattern in _walk(get_resolver().url_patterns):
        if pattern.name == CATCH_ALL:
            continue
        if not isinstance(pattern.pattern, RoutePattern):
            assert not _is_under_prefix(prefix + str(pattern.pattern)), (
                f"{pattern.pattern}: a regex route under /{PREFIX}; teach this walk to fill it"
            )
            continue
        url = prefix + _concrete(str(pattern.pattern))
        if not url.startswith(PREFIX):
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        assert view_class is not None, f"/{url}: not a class-based view"
        for method in HTTP_METHODS:
            if hasattr(view_class, method):
                endpoints.append(Endpoint(url, method, view_class, pattern.name or ""))
    return endpoints


ENDPOINTS = discover_endpoints()
PROTECTED = [e for e in ENDPOINTS if e.required_right is not None]


def ids(endpoint: Endpoint) -> str:
    return str(endpoint)


def test_the_walk_finds_at_least_the_current_endpoints():
    found = {(e.name, e.method) for e in ENDPOINTS}
    assert {
        ("v2-orders", "post"),
        ("v2-order", "get"),
        ("v2-order", "delete"),
        ("v2-order-status", "get"),
        ("v2-order-hold", "post"),
        ("v2-order-release", "post"),
        ("v2-delete-reasons", "get"),
        ("v2-delete-reasons", "post"),
        ("v2-delete-reason", "get"),
        ("v2-delete-reason", "patch"),
        ("v2-delete-reason", "delete"),
        ("v2-settings", "get"),
        ("v2-settings", "patch"),
    } <= found


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_each_built_url_resolves_to_its_own_view(endpoint):
    assert resolve(f"/{endpoint.url}").func.view_class is endpoint.view_class


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_every_method_a_view_implements_declares_its_right(endpoint):
    # A method missing from required_rights would be open to any key holder.
    assert endpoint.method.upper() in endpoint.view_class.required_rights, (
        f"{endpoint}: add {endpoint.method.upper()!r} to {endpoint.view_class.__name__}"
        ".required_rights"
    )


def call(api: Api, endpoint: Endpoint, *, status: int):
    return api.call(
        endpoint.method, f"/{endpoint.url}", status=status, max_queries=AUTH_QUERY_CEILING
    )


def assert_authentication_required(api: Api, endpoint: Endpoint) -> None:
    body = call(api, endpoint, status=401)
    assert body == AUTHENTICATION_REQUIRED
    assert api.last_response["WWW-Authenticate"] == 'Bearer realm="labsite"'


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_no_key_is_401(anonymous_api, endpoint):
    assert_authentication_required(anonymous_api, endpoint)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Token lab_not-a-real-key", id="unknown-token"),
        pytest.param("Bearer lab_not-a-real-key", id="unknown-bearer"),
        pytest.param("Basic c2FtOnNlY3JldA==", id="basic-scheme"),
        pytest.param("Token", id="scheme-without-key"),
        pytest.param("Token " + "k" * 10_000, id="huge-key"),
    ],
)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_a_bad_key_is_401(endpoint, header):
    api = Api()
    api.headers = {"HTTP_AUTHORIZATION": header}

    assert_authentication_required(api, endpoint)


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_a_revoked_key_is_401(make_user, endpoint, scheme):
    api_key, raw_key = ApiKey.issue(user=make_user("Supervisors"), name="revoked")
    api_key.revoke()

    assert_authentication_required(Api(raw_key, scheme=scheme), endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_the_key_of_an_inactive_user_is_401(make_user, api_for, endpoint):
    api = api_for(make_user("Supervisors", is_active=False))

    assert_authentication_required(api, endpoint)


@pytest.mark.parametrize("endpoint", PROTECTED, ids=ids)
def test_a_key_without_the_right_is_403_naming_the_right(no_rights_api, endpoint):
    body = call(no_rights_api, endpoint, status=403)

    assert body == {
        "error": "Permission denied",
        "details": [f"Requires: {endpoint.required_right}"],
    }


@pytest.mark.parametrize("endpoint", PROTECTED, ids=ids)
def test_a_key_with_every_other_right_is_still_403(make_user, api_for, endpoint):
    others = sorted(
        {e.required_right for e in PROTECTED if e.required_right != endpoint.required_right}
    )
    api = api_for(make_user(rights=tuple(others)))

    body = call(api, endpoint, status=403)

    assert body == {
        "error": "Permission denied",
        "details": [f"Requires: {endpoint.required_right}"],
    }
