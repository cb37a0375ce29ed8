"""Requests Django refuses before a view reads them still answer in their face's shape."""

import pytest

from toolkit.api.ndata import MAX_ARGUMENTS

TOO_MANY_PARAMETERS = "&".join(f"number={i}" for i in range(1100))


def test_too_many_query_parameters_is_a_400_problem_on_the_orders_api(client_api):
    body = client_api.get("/orders?" + TOO_MANY_PARAMETERS, status=400)
    response = client_api.last_response
    assert response["Content-Type"] == "application/problem+json"
    assert body["errorCode"] == 3
    assert body["errors"][0]["memberName"] == "request"
    assert body["traceId"] == response["X-Request-ID"]


def test_too_many_query_parameters_is_a_400_envelope_on_the_v2_api(client_api, make_order):
    order = make_order()
    body = client_api.get(f"/api/v2/orders/{order.number}?{TOO_MANY_PARAMETERS}", status=400)
    assert body["error"] == "Bad request"
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in body["details"][0]


@pytest.mark.parametrize("spread", [1, 3])
def test_filters_may_carry_at_most_the_documented_number_of_arguments_in_all(client_api, spread):
    per_parameter = MAX_ARGUMENTS // spread + 1
    query = "&".join(
        "number=in:" + ":".join(str(n) for n in range(per_parameter)) for _ in range(spread)
    )
    body = client_api.get("/orders?" + query, status=400)
    assert body["errors"] == [
        {
            "memberName": "number",
            "message": f"the filters have more than {MAX_ARGUMENTS} arguments in all",
            "code": "too_many",
        }
    ]


def test_filters_at_the_argument_limit_are_answered(client_api, make_order):
    make_order(number=7)
    query = "number=in:" + ":".join(str(n) for n in range(1, MAX_ARGUMENTS + 1))
    body = client_api.get("/orders?" + query, status=200)
    assert [order["number"] for order in body["items"]] == [7]
