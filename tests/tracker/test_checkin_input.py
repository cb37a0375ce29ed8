"""tracker.api.checkin_input: the check-in body as CheckInSerializer validates it, a plainly
valid one taken without building the serializer. Both ways must give the same answer."""

from rest_framework.exceptions import ValidationError

import pytest

from tracker.api import CheckInSerializer, checkin_input

BODIES = [
    {"orderIdentifier": "10001"},
    {"orderIdentifier": "  10001 "},
    {"orderIdentifier": "PO-7/ä", "operator": "OP1"},
    {"orderIdentifier": "10001", "operator": ""},
    {"orderIdentifier": "10001", "operator": "   "},
    {"orderIdentifier": "10001", "operator": " OP1 "},
    {"orderIdentifier": "x" * 100},
    {"orderIdentifier": " " + "x" * 100 + " "},
    {"orderIdentifier": "x" * 101},
    {"orderIdentifier": "10001", "operator": "O" * 10},
    {"orderIdentifier": "10001", "operator": "O" * 11},
    {"orderIdentifier": ""},
    {"orderIdentifier": "   "},
    {"orderIdentifier": None},
    {"orderIdentifier": 10001},
    {"orderIdentifier": 10001.5},
    {"orderIdentifier": True},
    {"orderIdentifier": ["10001"]},
    {"orderIdentifier": {"n": 1}},
    {"orderIdentifier": "100\x0001"},
    {"orderIdentifier": "10001\ud800"},
    {"orderIdentifier": "10001", "operator": None},
    {"orderIdentifier": "10001", "operator": 7},
    {"orderIdentifier": "10001", "operator": "OP\x001"},
    {"orderIdentifier": "10001", "station": "SURF"},
    {"orderidentifier": "10001"},
    {"operator": "OP1"},
    {},
    [],
    ["10001"],
    "10001",
    None,
    7,
]


def serializer_answer(data):
    serializer = CheckInSerializer(data=data)
    if serializer.is_valid():
        return "valid", dict(serializer.validated_data)
    return "refused", serializer.errors


def checkin_input_answer(data):
    try:
        return "valid", dict(checkin_input(data))
    except ValidationError as exc:
        return "refused", exc.detail


@pytest.mark.parametrize("data", BODIES, ids=repr)
def test_checkin_input_answers_as_the_serializer_does(data):
    assert checkin_input_answer(data) == serializer_answer(data)


def test_a_plainly_valid_body_builds_no_serializer(monkeypatch):
    monkeypatch.setattr(
        CheckInSerializer, "__init__", lambda *a, **k: pytest.fail("a serializer was built")
    )

    assert checkin_input({"orderIdentifier": " 10001 ", "operator": "OP1"}) == {
        "orderIdentifier": "10001",
        "operator": "OP1",
    }
