import json
import pytest

@pytest.mark.django_db
def test_explore(supervisor_api, make_order, make_station, check_in, client_api):
    api = supervisor_api
    o1 = make_order(items=1, tray="123", po_number="PO1")
    o50 = make_order(items=50)
    for o in (o1, o1, o50, o1):
        api.get(f"/api/v2/orders/{o.number}", status=200)
        print("fetch", o.number, api.last_queries)
    api.get(f"/api/v2/orders/{o1.number}/status", status=200)
    print("status", api.last_queries)
    print(json.dumps(api.get(f"/api/v2/orders/{o1.number}/status", status=200), indent=1))
    s = make_station("SURF", customer_description="Surfacing")
    check_in(o1, s)
    print(json.dumps(api.get(f"/api/v2/orders/{o1.number}", status=200), indent=1))
    body = api.post("/api/v2/orders", {"orderNumber": "0123", "trayNumber": "abc", "items": [{"sku": ""}], "jobType": "Z", "foo": 1, "requiresTint": "yes", "items2": 3}, status=400)
    print(body)
    body = api.post("/api/v2/orders", {"items": "x", "poNumber": "x"*21}, status=400)
    print(body)
    body = api.post("/api/v2/orders", {"items": [{"sku": "A", "quantity": 0}]}, status=400)
    print(body)
    body = api.post("/api/v2/orders", {"orderNumber": "123456789"}, status=400)
    print(body)
    body = api.post("/api/v2/orders", {}, status=201)
    print(body, api.last_queries)
    print(api.delete(f"/api/v2/orders/{o50.number}", status=200), api.last_queries)
    print(api.get("/api/v2/settings", status=200))
    print(api.get("/api/v2/delete_reasons?limit=x", status=400))
    print(api.get("/api/v2/delete_reasons", status=200))
    print(api.post("/api/v2/delete_reasons", {"code": "A B", "description": "x"}, status=400))
    print(api.patch("/api/v2/settings", {"trackerHeartbeatSeconds": 4, "foo": 1, "ticketPaperSize": "A5", "traysRequired": "yes"}, status=400))
    print(client_api.patch("/api/v2/settings", {}, status=403))
    print(client_api.post(f"/api/v2/orders/{o1.number}/hold", status=403))
