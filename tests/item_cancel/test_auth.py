"""Who may call ``PUT /api/orderCancel``: an active API partner (recipeid + partnerBillingKey,
parameter names in any case, key URL-encoded once or twice) or an API key, with the right to
cancel orders either way."""

from urllib.parse import quote

import pytest

from accounts.models import ApiPartner, hash_api_key
from orders.models import OrderEvent
from orders.status import EventKind, ProcessingStatus
from tests.conftest import Api

from .conftest import cancel_url, item_ids
from .test_contract import QUERY_CEILING, without_reference

pytestmark = pytest.mark.django_db

WRONG_PAIR = "Unknown or inactive partner, or a partnerBillingKey that does not match its recipeid"
PAIR_REQUIRED = "Send both recipeid and partnerBillingKey, once each"
CREDENTIALS_REQUIRED = (
    "Authentication required: send recipeid and partnerBillingKey in the query string, "
    "or an API key in the Authorization header"
)
# A key with every character that needs encoding in a query string.
AWKWARD_KEY = "ab+cd/ef+gh=="


def refused(message: str) -> dict:
    return {
        "HadError": True,
        "Errors": [
            {
                "PropertyName": None,
                "AttemptedValue": None,
                "ErrorMessage": message,
                "CustomState": None,
            }
        ],
        "Success": [],
    }


def assert_nothing_cancelled(order) -> None:
    assert set(order.items.values_list("status", flat=True)) == {ProcessingStatus.NEW}


@pytest.fixture
def awkward_partner(partner_api):
    """The partner, given a key holding "+", "/" and "=" (generated keys hold them at random)."""
    ApiPartner.objects.filter(pk=partner_api.partner.pk).update(key_hash=hash_api_key(AWKWARD_KEY))
    partner_api.raw_key = AWKWARD_KEY
    return partner_api


def test_generated_keys_are_base64_and_stored_only_as_a_hash(partner_api):
    partner = ApiPartner.objects.filter(pk=partner_api.partner.pk).values().get()

    assert len(partner_api.raw_key) == 44
    assert partner_api.raw_key.endswith("=")
    assert partner["key_hash"] == hash_api_key(partner_api.raw_key)
    assert not [column for column, value in partner.items() if partner_api.raw_key in str(value)]


# --- missing, wrong, inactive -------------------------------------------------------------------


def test_no_credentials_is_401(make_order):
    order = make_order(items=1)
    api = Api()

    body = api.put(cancel_url(orderId=order.number), {"Ids": item_ids(order)}, status=401)

    assert without_reference(body) == refused(CREDENTIALS_REQUIRED)
    assert api.last_response["WWW-Authenticate"] == 'Bearer realm="labsite"'
    assert_nothing_cancelled(order)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"recipeid": "RECIPE"}, PAIR_REQUIRED, id="recipeid-only"),
        pytest.param({"partnerBillingKey": "KEY"}, PAIR_REQUIRED, id="key-only"),
        pytest.param({"recipeid": "RECIPE", "partnerBillingKey": ""}, WRONG_PAIR, id="empty-key"),
        pytest.param({"recipeid": "", "partnerBillingKey": "KEY"}, WRONG_PAIR, id="empty-recipeid"),
        pytest.param(
            {"recipeid": "RECIPE", "partnerBillingKey": "nope"}, WRONG_PAIR, id="wrong-key"
        ),
        pytest.param(
            {"recipeid": "other", "partnerBillingKey": "KEY"}, WRONG_PAIR, id="wrong-recipe"
        ),
        pytest.param(
            {"recipeid": "RECIPE", "partnerBillingKey": "K" * 201}, WRONG_PAIR, id="long-key"
        ),
    ],
)
def test_missing_or_wrong_pair_is_401(partner_api, make_order, params, message):
    order = make_order(items=1)
    substitute = {"RECIPE": partner_api.partner.recipe_id, "KEY": partner_api.raw_key}
    params = {name: substitute.get(value, value) for name, value in params.items()}
    api = Api()

    body = api.put(
        cancel_url(orderId=order.number, **params),
        {"Ids": item_ids(order)},
        status=401,
        max_queries=2,
    )

    assert without_reference(body) == refused(message)
    assert_nothing_cancelled(order)


def test_the_key_of_another_partner_is_401(make_partner, make_order):
    order = make_order(items=1)
    acme, other = make_partner("Acme"), make_partner("Other")
    other.partner = acme.partner  # acme's recipe id with other's key

    body = other.cancel(order, item_ids(order), status=401)

    assert body["Errors"][0]["ErrorMessage"] == WRONG_PAIR


def test_a_repeated_parameter_with_two_values_is_401(partner_api, make_order):
    order = make_order(items=1)
    url = partner_api.url(order.number) + "&RecipeId=someone-else"

    body = partner_api.put(url, {"Ids": item_ids(order)}, status=401)

    assert body["Errors"][0]["ErrorMessage"] == PAIR_REQUIRED


def test_an_inactive_partner_is_401(partner_api, make_order):
    order = make_order(items=1)
    ApiPartner.objects.filter(pk=partner_api.partner.pk).update(is_active=False)

    body = partner_api.cancel(order, item_ids(order), status=401)

    assert without_reference(body) == refused(WRONG_PAIR)
    assert_nothing_cancelled(order)


def test_a_partner_whose_user_is_inactive_is_401(partner_api, make_order):
    order = make_order(items=1)
    partner_api.partner.user.is_active = False
    partner_api.partner.user.save()

    partner_api.cancel(order, item_ids(order), status=401)

    assert_nothing_cancelled(order)


def test_a_partner_without_the_right_is_403(make_partner, make_order):
    order = make_order(items=1)
    api = make_partner(rights=())

    body = api.cancel(order, item_ids(order), status=403, max_queries=QUERY_CEILING)

    assert without_reference(body) == refused("Permission denied. Requires: orders.cancel_order")
    assert_nothing_cancelled(order)


def test_a_partner_acting_as_a_lab_client_may_cancel(make_partner, make_user, make_order):
    order = make_order(items=1)
    api = make_partner(user=make_user("Lab clients"))

    api.cancel(order, item_ids(order), status=200)


# --- parameter names in any case ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_name", "recipe_name", "key_name"),
    [
        ("orderId", "recipeid", "partnerBillingKey"),
        ("orderid", "recipeId", "partnerbillingkey"),
        ("ORDERID", "RECIPEID", "PARTNERBILLINGKEY"),
        ("OrderId", "RecipeID", "PartnerBillingKey"),
    ],
)
def test_parameter_names_are_case_insensitive(
    partner_api, make_order, order_name, recipe_name, key_name
):
    order = make_order(items=1)
    url = cancel_url(
        **{
            order_name: order.number,
            recipe_name: partner_api.partner.recipe_id,
            key_name: partner_api.raw_key,
        }
    )

    body = partner_api.put(url, {"Ids": item_ids(order)}, status=200)

    assert body["Success"] == item_ids(order)


def test_the_recipe_id_value_is_matched_exactly(partner_api, make_order):
    order = make_order(items=1)
    partner_api.partner.recipe_id = partner_api.partner.recipe_id.upper()

    partner_api.cancel(order, item_ids(order), status=401)


# --- the key, URL-encoded ---------------------------------------------------------------------


def test_a_key_encoded_once_as_documented(awkward_partner, make_order):
    order = make_order(items=1)
    url = (
        f"/api/orderCancel?orderId={order.number}&recipeid={awkward_partner.partner.recipe_id}"
        f"&partnerBillingKey={quote(AWKWARD_KEY, safe='')}"
    )
    assert "ab%2Bcd%2Fef%2Bgh%3D%3D" in url

    awkward_partner.put(url, {"Ids": item_ids(order)}, status=200)


def test_a_key_encoded_before_the_query_string_is_encoded_again(awkward_partner, make_order):
    order = make_order(items=1)
    # The partner encodes the key as told, then its HTTP library encodes the query string.
    url = cancel_url(
        orderId=order.number,
        recipeid=awkward_partner.partner.recipe_id,
        partnerBillingKey=quote(AWKWARD_KEY, safe=""),
    )
    assert "ab%252Bcd%252Fef%252Bgh%253D%253D" in url

    awkward_partner.put(url, {"Ids": item_ids(order)}, status=200)


def test_a_key_sent_without_encoding(awkward_partner, make_order):
    order = make_order(items=1)
    url = (
        f"/api/orderCancel?orderId={order.number}&recipeid={awkward_partner.partner.recipe_id}"
        f"&partnerBillingKey={AWKWARD_KEY}"  # its "+" arrive as spaces
    )

    awkward_partner.put(url, {"Ids": item_ids(order)}, status=200)


def test_a_generated_key_works_encoded_once_and_twice(partner_api, make_order):
    order = make_order(items=2)
    first, second = item_ids(order)
    twice = cancel_url(
        orderId=order.number,
        recipeid=partner_api.partner.recipe_id,
        partnerBillingKey=quote(partner_api.raw_key, safe=""),
    )

    partner_api.cancel(order, [first], status=200)
    partner_api.put(twice, {"Ids": [second]}, status=200)


def test_a_mangled_key_is_still_refused(awkward_partner, make_order):
    order = make_order(items=1)

    awkward_partner.raw_key = AWKWARD_KEY.replace("+", "-")
    awkward_partner.cancel(order, item_ids(order), status=401)


# --- API keys ---------------------------------------------------------------------------------


def test_an_api_key_with_the_right_may_cancel(api_for, make_user, make_order):
    user = make_user(username="front-desk", rights=("orders.cancel_order",))
    api = api_for(user)
    order = make_order(items=2)
    first, _ = item_ids(order)

    body = api.put(
        cancel_url(orderId=order.number), {"Ids": [first]}, status=200, max_queries=QUERY_CEILING
    )

    assert body == {"HadError": False, "Errors": [], "Success": [first]}
    [event] = OrderEvent.objects.filter(order=order, kind=EventKind.ITEMS_CANCELLED)
    assert (event.actor, event.actor_name) == (user, "front-desk")
    assert event.note == f"item {first} (SKU0) cancelled"


def test_an_api_key_without_the_right_is_403(no_rights_api, make_order):
    order = make_order(items=1)

    body = no_rights_api.put(cancel_url(orderId=order.number), {"Ids": item_ids(order)}, status=403)

    assert without_reference(body) == refused("Permission denied. Requires: orders.cancel_order")
    assert_nothing_cancelled(order)


def test_a_wrong_api_key_is_401(make_order):
    order = make_order(items=1)
    api = Api("lab_not-a-key")

    body = api.put(cancel_url(orderId=order.number), {"Ids": item_ids(order)}, status=401)

    assert without_reference(body) == refused("Invalid API key")


def test_partner_credentials_are_checked_before_an_api_key(partner_api, client_api, make_order):
    order = make_order(items=1)
    url = cancel_url(orderId=order.number, recipeid=partner_api.partner.recipe_id)

    client_api.put(url, {"Ids": item_ids(order)}, status=401)
