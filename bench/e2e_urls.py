"""labsite's URLs plus the end-to-end benchmark's floor: ``GET floor/orders/<number>``.

The floor is the least a request for one order can cost in this server: the same middleware
stack, one indexed lookup of the order by number, a small JSON answer. No DRF, no API key, no
rights, no payload building. bench/e2e_bench.py compares every endpoint's throughput with it.
"""

from django.http import JsonResponse
from django.urls import path

from labsite import urls as labsite_urls
from orders.models import Order

FLOOR_FIELDS = ("number", "tray", "po_number", "state", "on_hold", "processing_status")


def floor_order(request, number: int):
    order = Order.objects.filter(number=number).values(*FLOOR_FIELDS).first()
    if order is None:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse(order)


urlpatterns = [
    path("floor/orders/<int:number>", floor_order, name="e2e-floor-order"),
    *labsite_urls.urlpatterns,
]

handler404 = labsite_urls.handler404
handler500 = labsite_urls.handler500
