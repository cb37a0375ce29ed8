"""Partners and a client for ``PUT /api/orderCancel``."""

from urllib.parse import urlencode

import pytest

from accounts.models import ApiPartner
from orders.models import Order
from tests.conftest import Api

PATH = "/api/orderCancel"
CANCEL_RIGHT = "orders.cancel_order"


def cancel_url(**params) -> str:
    """The endpoint with ``params`` in its query string, each encoded once (as documented)."""
    return f"{PATH}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def item_ids(order: Order) -> list[int]:
    return list(order.items.order_by("id").values_list("id", flat=True))


class PartnerApi(Api):
    """Calls the endpoint as an API partner: its recipe id and billing key in the query."""

    def __init__(self, partner: ApiPartner, raw_key: str):
        super().__init__()
        self.partner = partner
        self.raw_key = raw_key

    def url(self, order_id, **params) -> str:
        return cancel_url(
            orderId=order_id,
            recipeid=self.partner.recipe_id,
            partnerBillingKey=self.raw_key,
            **params,
        )

    def cancel(self, order: Order, ids: list[int], **kw):
        return self.put(self.url(order.number), {"Ids": ids}, **kw)


@pytest.fixture
def make_partner(make_user):
    def make(
        name: str = "Acme Prints", *, rights=(CANCEL_RIGHT,), user=None, **fields
    ) -> PartnerApi:
        user = user or make_user(username=f"{name.lower().replace(' ', '-')}-user", rights=rights)
        partner, raw_key = ApiPartner.issue(name=name, user=user, **fields)
        return PartnerApi(partner, raw_key)

    return make


@pytest.fixture
def partner_api(make_partner) -> PartnerApi:
    return make_partner()
