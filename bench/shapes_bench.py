"""In process: what showing an order costs, next to the floor, through Django's test Client.

    .venv/bin/python bench/shapes_bench.py                 # SQLite, in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/shapes_bench.py

No server, no wrk: each request goes through the whole middleware stack and view in this
process (``django.test.Client``, DEBUG=0, the production security settings behind a simulated
TLS proxy, as bench/e2e_bench.py serves them). With ``DATABASE_URL`` the named database is
migrated and written to (the reference rows and orders are added to it): give it one of its
own. What is timed, in rounds that interleave the cases so a drift of a shared machine's speed
affects them alike (the best round and the median are reported, in microseconds):

- requests: the floor (bench/e2e_urls.py, a bare Django view), the v2 fetch and the v2 status
  of an order with 2 items of 2 endpoints each, checked in at a station; the Orders API's
  fetch of that order and a page of ``--page`` orders;
- shapes: the v2 fetch model and the status model of that order (read once by
  ``orders.fast_reads``), as the code at hand writes them (its serializers, kept or built per
  call, or the dict builders they replaced), with their share of the request that answers with
  them; and the Orders API shape of the page (its three queries included).
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def setup(data_dir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.e2e_settings",
        DEBUG="0",
        SECRET_KEY="shapes-bench-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="testserver",
        TRUST_X_FORWARDED_PROTO="1",
        LOG_LEVEL="WARNING",
        LABSITE_DATA_DIR=data_dir,
    )
    sys.path.insert(0, str(PROJECT_ROOT))
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def seed(page: int):
    from django.contrib.auth.models import Group, User

    from accounts.models import ApiKey
    from orders.models import Order, Station
    from orders.services import NewItem, NewOrder, create_order
    from tracker.services import check_in

    user = User.objects.create(username=f"shapes-{secrets.token_hex(4)}")
    user.groups.add(Group.objects.get(name="Lab clients"))
    _, key = ApiKey.issue(user=user, name="shapes bench")
    station = Station.objects.filter(code="SHP-SURF").first() or Station.objects.create(
        code="SHP-SURF", description="Surfacing", customer_description="In production"
    )
    items = [NewItem(sku=f"SKU-{n}", name=f"Lens {n}", endpoints=["surf", "coat"]) for n in (1, 2)]
    orders = [
        create_order(
            data=NewOrder(po_number=f"PO-{secrets.token_hex(3)}", patient="Doe", items=items),
            actor=user,
            device="bench",
        )
        for _ in range(page)
    ]
    order = Order.objects.get(pk=orders[0].pk)
    check_in(order=order, station=station, operator=None, actor=user, device="bench")
    numbers = sorted(o.number for o in orders)
    return key, order, numbers


def order_shapes(order) -> dict:
    """The v2 models of ``order`` (read by fast_reads with its items), as the code at hand
    writes them: with its serializers (kept, ``represent``, and built per call, ``.data``), or
    with the dict builders they replaced."""
    from orders import fast_reads
    from orders.api import payloads

    if hasattr(payloads, "V2OrderSerializer"):
        fetch, status = payloads.V2OrderSerializer, payloads.V2OrderStatusSerializer
        return {
            "v2 fetch model (represent)": lambda: fetch.represent(order),
            "v2 fetch model (Serializer(o).data)": lambda: fetch(order).data,
            "v2 status model (represent)": lambda: status.represent(order),
            "v2 status model (Serializer(o).data)": lambda: status(order).data,
        }
    items = fast_reads.items_shown(order)
    return {
        "v2 fetch model (order_payload)": lambda: payloads.order_payload(order, items),
        "v2 status model (order_status_payload)": lambda: payloads.order_status_payload(order),
    }


def timed(call, repeat: int) -> float:
    """Microseconds per call, over ``repeat`` calls."""
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per case and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page", type=int, default=100, help="orders on the Orders API page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        setup(data_dir)
        from django.test import Client

        from orders import fast_reads
        from orders.api import payloads
        from orders.models import Order

        key, order, numbers = seed(args.page)
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_X_FORWARDED_PROTO": "https"}
        page_url = f"/orders?number=between:{numbers[0]}:{numbers[-1]}"

        def get(path: str, status: int = 200):
            def call():
                response = client.get(path, **headers)
                if response.status_code != status:
                    raise SystemExit(f"GET {path}: {response.status_code} {response.content!r}")

            return call

        shown = fast_reads.order_to_show(str(order.number), with_items=True)
        page_rows = Order.objects.filter(number__in=numbers).order_by("number")
        shapes = {
            **order_shapes(shown),
            f"Orders API page of {args.page} (3 queries)": (
                lambda: payloads.orders_api_payloads(page_rows)
            ),
        }

        requests = {
            "floor (bare Django view)": get(f"/floor/orders/{order.number}"),
            "GET /api/v2/orders/<n>": get(f"/api/v2/orders/{order.number}"),
            "GET /api/v2/orders/<n>/status": get(f"/api/v2/orders/{order.number}/status"),
            "GET /orders/<id>": get(f"/orders/{order.public_id}"),
            f"GET /orders (page of {args.page})": get(page_url),
        }
        repeat = {name: args.requests for name in (*requests, *shapes)}
        repeat[f"GET /orders (page of {args.page})"] = max(1, args.requests // args.page)
        repeat[f"Orders API page of {args.page} (3 queries)"] = max(1, args.requests // args.page)
        cases = {**requests, **shapes}
        for call in cases.values():
            call()  # warm up
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, call in cases.items():
                results[name].append(timed(call, repeat[name]))

    floor = min(results["floor (bare Django view)"])
    # A model's time as a share of the request that answers with it.
    answered_by = {
        "v2 fetch": min(results["GET /api/v2/orders/<n>"]),
        "v2 status": min(results["GET /api/v2/orders/<n>/status"]),
    }
    print(f"{'case':<40} {'best us':>9} {'median us':>10} {'floor/best':>10} {'of request':>10}")
    for name, runs in results.items():
        best = min(runs)
        ratio = f"{floor / best:10.2f}" if name in requests else " " * 10
        request = next((us for model, us in answered_by.items() if name.startswith(model)), None)
        share = f"{best / request:10.1%}" if request else ""
        print(f"{name:<40} {best:9.1f} {statistics.median(runs):10.1f} {ratio} {share}")


if __name__ == "__main__":
    main()
