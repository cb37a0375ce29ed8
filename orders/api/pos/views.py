"""Orders API: query orders with NData, fetch one, process, set statuses, cancel."""

from functools import partial

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.response import Response

from accounts.rights import Right
from orders.api.payloads import OrderSerializer, order_rows, orders_api_payloads
from orders.api.v2.params import query_or_body_param
from orders.errors import ItemNotFound, OrderNotFound
from orders.identifiers import parse_public_id
from orders.models import Order
from orders.services import (
    cancel_order,
    process_orders,
    set_endpoint_status,
    set_item_status,
    set_order_status,
)
from toolkit.api import ndata, problems
from toolkit.api.schema import (
    PROBLEM_UNAUTHENTICATED,
    integer_parameter,
    path_parameter,
    problem_operation,
    problem_permission_denied,
    text_parameter,
)

from .base import OrdersApiView
from .members import DEFAULT_SORT, ID, ORDER_MEMBERS, UNIQUE_MEMBERS
from .serializers import ProcessOrdersSerializer, QueryResultSerializer, StatusSerializer

MAX_TAKE = 1000

TAG = "Orders API"
operation = partial(problem_operation, tag=TAG)
ORDER = OpenApiResponse(OrderSerializer, description="The order, as it is now.")
ORDER_ID = path_parameter("order_id", "The order's public id (`id`, a UUID).")
NO_SUCH_ORDER = "No order with that id (no errorCode)."

QUERY_PARAMETERS = [
    integer_parameter(
        "$skip", minimum=0, maximum=ndata.MAX_SKIP, description="Matches to skip (default 0)."
    ),
    integer_parameter(
        "$take", minimum=0, maximum=MAX_TAKE, description=f"Page size (default {MAX_TAKE})."
    ),
    text_parameter(
        "$sort",
        "Comma-separated keys, `key`, `-key`, `key:asc` or `key:desc`; sortable: "
        + ", ".join(m.name for m in ORDER_MEMBERS if m.sortable)
        + f". Default `{DEFAULT_SORT}`; ties are broken by `id`.",
        max_length=ndata.MAX_PARAMETER_LENGTH,
    ),
    OpenApiParameter("$count", bool, description="`true`: only count the matches (no `items`)."),
    *(
        text_parameter(
            member.name, ndata.describe_member(member), max_length=ndata.MAX_PARAMETER_LENGTH
        )
        for member in ORDER_MEMBERS
    ),
]


def public_id_of(order_id: str):
    """The public id ``order_id`` spells (404 problem when it spells none)."""
    public_id = parse_public_id(order_id)
    if public_id is None:
        raise OrderNotFound(order_id)
    return public_id


def find_order(order_id: str) -> Order:
    """The order with public id ``order_id`` (404 problem when there is none)."""
    order = Order.objects.filter(public_id=public_id_of(order_id)).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def displayed(order: Order) -> dict:
    """The order's payload, read afresh."""
    return orders_api_payloads(Order.objects.filter(pk=order.pk))[0]


def parse_request_query(request) -> ndata.NDataQuery:
    pairs = [(name, value) for name, values in request.query_params.lists() for value in values]
    try:
        return ndata.parse_query(pairs, ORDER_MEMBERS, default_sort=DEFAULT_SORT, max_take=MAX_TAKE)
    except ndata.NDataError as exc:
        raise problems.InvalidParameters(
            [
                {"memberName": problem.parameter, "message": problem.message, "code": problem.code}
                for problem in exc.problems
            ]
        ) from None


class OrderCollectionView(OrdersApiView):
    required_rights = {"GET": Right.VIEW_ORDER, "POST": Right.PROCESS_ORDER}

    @operation(
        operation_id="orders_query",
        parameters=QUERY_PARAMETERS,
        ok={
            200: OpenApiResponse(
                QueryResultSerializer, description="A page of matching orders, or their count."
            )
        },
        problems={
            400: (
                "A malformed query: unknown member or operator, wrong arity, a value "
                "that does not parse, a bad `$skip`/`$take`/`$sort` (errorCode 3; "
                "`errors[].memberName` names the parameter)."
            ),
            401: PROBLEM_UNAUTHENTICATED,
            403: problem_permission_denied(Right.VIEW_ORDER),
        },
        description="Query orders with NData filters, sorting and paging.",
    )
    def get(self, request):
        query = parse_request_query(request)
        matches = query.filter(Order.objects.all())
        if query.count_only:
            total = matches.count()
            on_page = max(0, min(query.take, total - query.skip))
            return Response(
                QueryResultSerializer.represent({"count": on_page, "totalCount": total})
            )
        ordering = query.ordering(tiebreak=ID, unique=UNIQUE_MEMBERS)
        page = order_rows(matches.order_by(*ordering)[query.skip : query.skip + query.take])
        # A page that is not full is the last one: it tells the total without a count.
        last_page = page and len(page) < query.take
        total = query.skip + len(page) if last_page else matches.count()
        result = {"items": page, "count": len(page), "totalCount": total}
        return Response(QueryResultSerializer.represent(result))

    @operation(
        operation_id="orders_process",
        request=ProcessOrdersSerializer,
        ok={
            200: OpenApiResponse(
                OrderSerializer(many=True), description="Every affected order, processed."
            )
        },
        problems={
            400: (
                "An invalid body, or an order that is not processable (named in "
                "`errors[]`, member `ids`); nothing is processed (errorCode 3)."
            ),
            401: PROBLEM_UNAUTHENTICATED,
            403: problem_permission_denied("orderProcess"),
            404: "An id names no order; nothing is processed.",
        },
        description="Release orders to their endpoints, all or none.",
    )
    def post(self, request):
        serializer = ProcessOrdersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        processed = process_orders(public_ids=serializer.validated_data["ids"], actor=request.user)
        payloads = orders_api_payloads(
            Order.objects.filter(pk__in=[order.pk for order in processed])
        )
        by_id = {payload["id"]: payload for payload in payloads}
        return Response([by_id[str(order.public_id)] for order in processed])


class OrderView(OrdersApiView):
    required_rights = {"GET": Right.VIEW_ORDER, "DELETE": Right.CANCEL_ORDER}

    @operation(
        operation_id="orders_get",
        description="Fetch one order by its public id.",
        parameters=[ORDER_ID],
        ok={200: OpenApiResponse(OrderSerializer, description="The order.")},
        problems={
            401: PROBLEM_UNAUTHENTICATED,
            403: problem_permission_denied(Right.VIEW_ORDER),
            404: NO_SUCH_ORDER,
        },
    )
    def get(self, request, order_id: str):
        found = orders_api_payloads(Order.objects.filter(public_id=public_id_of(order_id)))
        if not found:
            raise OrderNotFound(order_id)
        return Response(found[0])

    @operation(
        operation_id="orders_delete",
        parameters=[
            ORDER_ID,
            text_parameter(
                "deleteReason",
                "Reason code, as for the Lab API v2 (also accepted as a field of a JSON "
                "object body).",
                allow_empty=True,
            ),
        ],
        ok={204: OpenApiResponse(description="Cancelled (marked for cancelation).")},
        problems={
            400: (
                "A Lab API v2 cancel refusal; `detail` is its `error` string, e.g. "
                "`Order already completed` (errorCode 3)."
            ),
            401: PROBLEM_UNAUTHENTICATED,
            403: problem_permission_denied("orderDelete"),
            404: NO_SUCH_ORDER,
        },
        description="Cancel the order, with the rules of DELETE /api/v2/orders/{orderIdentifier}.",
    )
    def delete(self, request, order_id: str):
        order = find_order(order_id)
        reason_code = query_or_body_param(request, "deleteReason")
        cancel_order(order=order, actor=request.user, reason_code=reason_code)
        return Response(status=204)


def status_schema(
    *, operation_id: str, description: str, not_found: str, target: OpenApiParameter | None = None
):
    """The schema of a status endpoint; ``target`` is the path's part after the order's id."""
    return operation(
        operation_id=operation_id,
        parameters=[ORDER_ID] if target is None else [ORDER_ID, target],
        description=description,
        request=StatusSerializer,
        ok={200: ORDER},
        problems={
            400: (
                "An invalid body, or a refused change: the order is not processed yet, "
                "completed or marked for cancelation, or the item is cancelled "
                "(errorCode 3)."
            ),
            401: PROBLEM_UNAUTHENTICATED,
            403: problem_permission_denied("orderUpdate"),
            404: not_found,
            409: "`_v` is stale: nothing changed (errorCode 6).",
        },
    )


class StatusView(OrdersApiView):
    """Shared by the three status endpoints: parse the body, call the service, show the order."""

    required_rights = {"POST": Right.UPDATE_ORDER_STATUS}

    def change(self, request, order_id: str, **target):
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.set_status(
            order=find_order(order_id),
            actor=request.user,
            status=body.validated_data["status"],
            version=body.validated_data.get("_v"),
            **target,
        )
        return Response(displayed(order))


class OrderStatusView(StatusView):
    set_status = staticmethod(set_order_status)

    @status_schema(
        operation_id="orders_set_status",
        description="Sets every live item of the order, at all of its endpoints.",
        not_found=NO_SUCH_ORDER,
    )
    def post(self, request, order_id: str):
        return self.change(request, order_id)


class ItemStatusView(StatusView):
    set_status = staticmethod(set_item_status)

    @status_schema(
        operation_id="orders_set_item_status",
        description="Sets that item of the order, at all of its endpoints.",
        not_found="No order with that id, or no such item in it.",
        target=path_parameter("item_id", "The item's `id` (digits)."),
    )
    def post(self, request, order_id: str, item_id: str):
        if not (item_id.isascii() and item_id.isdigit() and len(item_id) <= 18):
            find_order(order_id)  # an unknown order is named before its item
            raise ItemNotFound(item_id)
        return self.change(request, order_id, item_id=int(item_id))


class EndpointStatusView(StatusView):
    set_status = staticmethod(set_endpoint_status)

    @status_schema(
        operation_id="orders_set_endpoint_status",
        description="Sets every live item of the order at that endpoint.",
        not_found="No order with that id, or it has nothing at the endpoint.",
        target=path_parameter("endpoint_name", "The endpoint's name."),
    )
    def post(self, request, order_id: str, endpoint_name: str):
        return self.change(request, order_id, endpoint=endpoint_name)
