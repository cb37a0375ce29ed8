"""A cancelled order reads as cancelled in the Orders API, whichever face cancelled it."""

from orders.services import cancel_order


def test_an_order_cancelled_through_the_orders_api_has_status_cancelled(client_api, make_order):
    order = make_order(items=2, endpoints=("surfacing", "coating"))

    client_api.delete(f"/orders/{order.public_id}", status=204)

    body = client_api.get(f"/orders/{order.public_id}", status=200)
    assert body["status"] == "Cancelled"
    assert {item["status"] for item in body["items"]} == {"Cancelled"}
    assert body["endpoints"] == [
        {"name": "surfacing", "status": "Cancelled"},
        {"name": "coating", "status": "Cancelled"},
    ]
    assert body["isProcessable"] is False


def test_status_cancelled_finds_orders_cancelled_by_the_lab_api(client_api, make_order):
    cancelled = make_order()
    live = make_order()
    cancel_order(order=cancelled, actor=None, reason_code=None)

    body = client_api.get("/orders?status=Cancelled", status=200)

    numbers = [item["number"] for item in body["items"]]
    assert numbers == [cancelled.number]
    assert live.number not in numbers
