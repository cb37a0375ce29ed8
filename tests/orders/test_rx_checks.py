"""The Rx check catalogue of contracts/rx-orders.md (orders.rx): which check answers, for which
eye, echoing which value — as properties over the whole range of each value, and per rule."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.models import OrderEye
from orders.rx import CATALOGUE, Eye, EyeValues, first_failure, prism_base_error, signed

# field: (lowest, highest, the check refusing values outside)
RANGES = {
    "sphere": (Decimal("-39"), Decimal("49"), 112),
    "cylinder": (Decimal("-20"), Decimal("20"), 113),
    "axis": (0, 180, 114),
    "add": (Decimal("0"), Decimal("5"), 116),
    "prism": (Decimal("0"), Decimal("20"), 117),
    "pd": (Decimal("20"), Decimal("45"), 119),
    "seg_height": (Decimal("0"), Decimal("45"), 120),
}
# Given with each value so that only that value's checks can fail.
COMPLETE = {"axis": 90, "prism_base": "IN"}


def two_places(low, high):
    return st.decimals(min_value=low, max_value=high, places=2, allow_nan=False)


def in_range(field):
    low, high, _ = RANGES[field]
    return st.integers(low, high) if field == "axis" else two_places(low, high)


def out_of_range(field):
    low, high, _ = RANGES[field]
    if field == "axis":
        return st.integers(high + 1, 10_000) | st.integers(-10_000, low - 1)
    step = Decimal("0.01")
    return two_places(high + step, Decimal("9999.99")) | two_places(Decimal("-9999.99"), low - step)


def right_eye(**values) -> dict[Eye, EyeValues]:
    base = {"lens_style": "PROG", "sphere": Decimal("1.00")}
    return {Eye.RIGHT: EyeValues(**(base | COMPLETE | values))}


def test_the_catalogue_is_in_code_order():
    assert [check.code for check in CATALOGUE] == list(range(111, 121))


@pytest.mark.parametrize("field", sorted(RANGES))
@given(data=st.data())
def test_any_value_in_range_passes(field, data):
    value = data.draw(in_range(field))

    assert first_failure(right_eye(**{field: value}), addon_job=False) is None


@pytest.mark.parametrize("field", sorted(RANGES))
@given(data=st.data())
def test_any_value_out_of_range_fails_with_the_catalogue_error(field, data):
    value = data.draw(out_of_range(field))
    _, _, code = RANGES[field]

    failure = first_failure(right_eye(**{field: value}), addon_job=False)

    check = next(check for check in CATALOGUE if check.code == code)
    assert failure is not None
    assert failure.details == [check.error, "Eye: R", f"Provided: {value}"]


def test_the_range_texts_are_the_contracts():
    assert failure_of(sphere=Decimal("-40.25")).details == [
        "ERROR 112: SPHERE MUST BE BETWEEN -39.0 AND +49.0",
        "Eye: R",
        "Provided: -40.25",
    ]


def failure_of(**values):
    return first_failure(right_eye(**values), addon_job=False)


def test_an_ordered_eye_needs_a_sphere_and_the_echo_is_empty():
    assert failure_of(sphere=None).details == [
        "ERROR 111: SPHERE IS REQUIRED",
        "Eye: R",
        "Provided: ",
    ]


def test_a_cylinder_needs_an_axis():
    failure = failure_of(cylinder=Decimal("-0.75"), axis=None)

    assert failure.details == ["ERROR 115: AXIS IS REQUIRED WITH CYLINDER", "Eye: R", "Provided: "]


def test_a_zero_cylinder_needs_no_axis():
    assert failure_of(cylinder=Decimal("0.00"), axis=None) is None


def test_a_prism_needs_a_base_and_a_zero_prism_does_not():
    failure = failure_of(prism=Decimal("1.5"), prism_base=None)

    assert failure.details == [
        "ERROR 118: PRISM BASE IS REQUIRED WITH PRISM",
        "Eye: R",
        "Provided: ",
    ]
    assert failure_of(prism=Decimal("0"), prism_base=None) is None


def test_checks_run_in_catalogue_order_within_an_eye():
    # Sphere, cylinder and add all out of range: the sphere's check answers.
    failure = failure_of(sphere=Decimal("60"), cylinder=Decimal("30"), add=Decimal("9"))

    assert failure.check.code == 112


def test_the_right_eye_is_checked_before_the_left():
    eyes = {
        Eye.LEFT: EyeValues(lens_style="SV", sphere=Decimal("60")),
        Eye.RIGHT: EyeValues(lens_style="SV", sphere=None),
    }

    failure = first_failure(eyes, addon_job=False)

    assert (failure.check.code, failure.eye) == (111, Eye.RIGHT)


def test_the_left_eye_answers_when_the_right_passes():
    eyes = {
        Eye.RIGHT: EyeValues(lens_style="SV", sphere=Decimal("-2.00")),
        Eye.LEFT: EyeValues(lens_style="SV", sphere=Decimal("50.00")),
    }

    assert first_failure(eyes, addon_job=False).details == [
        "ERROR 112: SPHERE MUST BE BETWEEN -39.0 AND +49.0",
        "Eye: L",
        "Provided: 50.00",
    ]


def test_a_balance_lens_eye_is_not_checked():
    eyes = {Eye.RIGHT: EyeValues(lens_style="SV", sphere=None)}

    assert first_failure(eyes, addon_job=False, balance_lens="R") is None
    assert first_failure(eyes, addon_job=False, balance_lens="L") is not None


def test_an_eye_without_a_lens_style_is_not_ordered_on_a_job():
    eyes = {Eye.RIGHT: EyeValues(sphere=Decimal("99"))}

    assert first_failure(eyes, addon_job=False) is None


def test_on_an_addon_job_any_rx_value_orders_the_eye():
    eyes = {Eye.RIGHT: EyeValues(sphere=Decimal("99"))}

    assert first_failure(eyes, addon_job=True).check.code == 112
    assert first_failure({Eye.RIGHT: EyeValues(opc="X1")}, addon_job=True) is None


@pytest.mark.parametrize("base", ["IN", "OUT", "UP", "DOWN", "0", "90", "360", "12.5"])
def test_prism_bases_in_words_or_degrees(base):
    assert prism_base_error(base) is None


@pytest.mark.parametrize(
    "base", ["in", "LEFT", "361", "-1", "NaN", "Infinity", "", "1e400", "1e-07", "12.345"]
)
def test_other_prism_bases_are_refused(base):
    assert prism_base_error(base) == "use IN, OUT, UP, DOWN or a number of degrees from 0 to 360"


@pytest.mark.parametrize(
    ("value", "written"),
    [(Decimal("1.25"), "+1.25"), (Decimal("-0.5"), "-0.50"), (Decimal("0"), "+0.00"), (None, "")],
)
def test_diopters_are_written_signed_with_two_decimals(value, written):
    assert signed(value) == written


def test_a_stored_eye_keeps_its_zero_values():
    eye = OrderEye(eye="R", lens_style="SV", sphere=Decimal("0.00"), cylinder=Decimal("0"))

    values = eye.values()

    assert (values.sphere, values.cylinder, values.axis, values.opc) == (0, 0, None, None)
    assert first_failure({Eye.RIGHT: values}, addon_job=False) is None
