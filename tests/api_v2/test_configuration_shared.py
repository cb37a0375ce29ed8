"""What the three configuration resources share (``toolkit.api.configuration``): their routes
and route names, and the refusals whose reason is their detail line (``toolkit.errors``)."""

from django.urls import resolve, reverse

import pytest

from orders.api.v2 import config
from printing import api as printing_api
from printing.errors import PrintingRejected, StockOrder
from tracker import api as tracker_api
from tracker.errors import CheckinRefused, CompletionOrderNotFound, CompletionRefused


@pytest.mark.parametrize(
    ("name", "path", "kwargs", "view"),
    [
        ("v2-delete-reasons", "/api/v2/delete_reasons", {}, config.DeleteReasonListView),
        (
            "v2-delete-reason",
            "/api/v2/delete_reasons/CUS",
            {"code": "CUS"},
            config.DeleteReasonDetailView,
        ),
        ("v2-printers", "/api/v2/printers", {}, printing_api.PrinterListView),
        ("v2-printer", "/api/v2/printers/P1", {"name": "P1"}, printing_api.PrinterDetailView),
        ("v2-stations", "/api/v2/job_track/stations", {}, tracker_api.StationListView),
        (
            "v2-station",
            "/api/v2/job_track/stations/S1",
            {"code": "S1"},
            tracker_api.StationDetailView,
        ),
    ],
)
def test_each_resource_has_its_collection_and_record_routes(name, path, kwargs, view):
    assert reverse(name, kwargs=kwargs) == path
    match = resolve(path)
    assert match.func.view_class is view
    assert match.kwargs == kwargs


@pytest.mark.parametrize("refusal", [CheckinRefused, PrintingRejected])
def test_a_refusal_without_a_reason_gives_its_message_as_the_detail(refusal):
    error = refusal()
    assert error.reason == refusal.message
    assert error.details == [refusal.message]


def test_a_refusal_gives_the_reason_of_its_class_or_the_one_given():
    assert StockOrder().details == ["Order is a stock order and there is no work ticket"]
    assert PrintingRejected("Provided: LPT0").details == ["Provided: LPT0"]


def test_a_completion_refusal_gives_its_number_and_reason():
    assert CompletionOrderNotFound().details == ["Error Code: 01", "Error Message: Order not found"]
    assert CompletionRefused().details == [
        "Error Code: 00",
        "Error Message: Could not complete order",
    ]
