"""The prescription of one eye and the lab's checks of it (contracts/rx-orders.md).

An eye's values arrive as ``EyeValues`` (decimals with at most two places, as the faces parse
them); ``first_failure`` runs the check catalogue over both eyes of a job, the right eye
before the left and the checks in catalogue order, and answers the first that fails. The
faces, the admin's order form and the create service all call it: one rule in one place.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import models


class Eye(models.TextChoices):
    RIGHT = "R", "Right"
    LEFT = "L", "Left"


# Prism base directions in words; a number from 0 to 360 (degrees) is accepted too.
PRISM_BASE_WORDS = ("IN", "OUT", "UP", "DOWN")


@dataclass(frozen=True)
class EyeValues:
    """What a job orders for one eye; None where nothing was given."""

    lens_style: str | None = None
    lens_material: str | None = None
    sphere: Decimal | None = None
    cylinder: Decimal | None = None
    axis: int | None = None
    add: Decimal | None = None
    prism: Decimal | None = None
    prism_base: str | None = None
    pd: Decimal | None = None
    near_pd: Decimal | None = None
    seg_height: Decimal | None = None
    opc: str | None = None

    def ordered(self, *, addon_job: bool) -> bool:
        """The eye is ordered when its lens style is given, or on an addon job when any of
        its prescription values is."""
        if self.lens_style:
            return True
        return addon_job and any(getattr(self, name) not in (None, "") for name in RX_VALUES)


# The prescription values proper (what makes an addon job's eye ordered).
RX_VALUES = (
    "sphere",
    "cylinder",
    "axis",
    "add",
    "prism",
    "prism_base",
    "pd",
    "near_pd",
    "seg_height",
)
EYE_FIELDS = tuple(field.name for field in fields(EyeValues))

# The fetch model's ``calculationDesc``: whose surfacing calculation is done, by (right, left).
CALCULATION_DESCRIPTIONS = {
    (True, True): "Both eyes calculated",
    (True, False): "Right eye calculated",
    (False, True): "Left eye calculated",
    (False, False): "Calculations not done",
}


# The range of each prescription value the catalogue checks (lowest, highest), in its units.
RANGES = {
    "sphere": (Decimal("-39"), Decimal("49")),
    "cylinder": (Decimal("-20"), Decimal("20")),
    "axis": (Decimal("0"), Decimal("180")),
    "add": (Decimal("0"), Decimal("5")),
    "prism": (Decimal("0"), Decimal("20")),
    "pd": (Decimal("20"), Decimal("45")),
    "seg_height": (Decimal("0"), Decimal("45")),
}


def _outside(field: str) -> Callable[["EyeValues"], bool]:
    lowest, highest = RANGES[field]

    def fails(eye: EyeValues) -> bool:
        value = getattr(eye, field)
        return value is not None and not lowest <= value <= highest

    return fails


@dataclass(frozen=True)
class RxCheck:
    code: int
    text: str
    field: str  # the value ``Provided:`` echoes: the one the text begins with
    fails: Callable[[EyeValues], bool]

    @property
    def error(self) -> str:
        return f"ERROR {self.code}: {self.text}"


def _nonzero(value: Decimal | None) -> bool:
    return value is not None and value != 0


CATALOGUE = (
    RxCheck(111, "SPHERE IS REQUIRED", "sphere", lambda eye: eye.sphere is None),
    RxCheck(
        112,
        "SPHERE MUST BE BETWEEN -39.0 AND +49.0",
        "sphere",
        _outside("sphere"),
    ),
    RxCheck(
        113,
        "CYLINDER MUST BE BETWEEN -20.0 AND +20.0",
        "cylinder",
        _outside("cylinder"),
    ),
    RxCheck(114, "AXIS MUST BE BETWEEN 0 AND 180", "axis", _outside("axis")),
    RxCheck(
        115,
        "AXIS IS REQUIRED WITH CYLINDER",
        "axis",
        lambda eye: _nonzero(eye.cylinder) and eye.axis is None,
    ),
    RxCheck(116, "ADD MUST BE BETWEEN 0.0 AND +5.0", "add", _outside("add")),
    RxCheck(
        117,
        "PRISM MUST BE BETWEEN 0.0 AND 20.0",
        "prism",
        _outside("prism"),
    ),
    RxCheck(
        118,
        "PRISM BASE IS REQUIRED WITH PRISM",
        "prism_base",
        lambda eye: _nonzero(eye.prism) and not eye.prism_base,
    ),
    RxCheck(119, "PD MUST BE BETWEEN 20.0 AND 45.0", "pd", _outside("pd")),
    RxCheck(
        120,
        "SEG HEIGHT MUST BE BETWEEN 0.0 AND 45.0",
        "seg_height",
        _outside("seg_height"),
    ),
)


@dataclass(frozen=True)
class RxFailure:
    check: RxCheck
    eye: Eye
    provided: str  # the value as given, "" when absent

    @property
    def details(self) -> list[str]:
        return [self.check.error, f"Eye: {self.eye.value}", f"Provided: {self.provided}"]


def first_failure(
    eyes: Mapping[Eye, EyeValues], *, addon_job: bool, balance_lens: str = ""
) -> RxFailure | None:
    """The first check of the catalogue that an ordered eye fails, right eye first; None when
    every ordered eye passes. A balance-lens eye is not checked."""
    for eye in (Eye.RIGHT, Eye.LEFT):
        values = eyes.get(eye)
        if values is None or eye.value == balance_lens or not values.ordered(addon_job=addon_job):
            continue
        for check in CATALOGUE:
            if check.fails(values):
                provided = getattr(values, check.field)
                return RxFailure(check, eye, "" if provided is None else str(provided))
    return None


def prism_base_error(value: str) -> str | None:
    """What is wrong with a prism base as given, or None: a direction in words or a number of
    degrees from 0 to 360."""
    if value in PRISM_BASE_WORDS:
        return None
    try:
        degrees = Decimal(value)
    except ArithmeticError:
        degrees = None
    if (
        degrees is not None
        and degrees.is_finite()
        and 0 <= degrees <= 360
        and degrees == degrees.quantize(Decimal("0.01"))  # at most two decimals
    ):
        return None
    return f"use {', '.join(PRISM_BASE_WORDS)} or a number of degrees from 0 to 360"


def signed(value: Decimal | None) -> str:
    """A diopter value as a lab writes it: sign and two decimals (``+1.25``, ``-0.50``)."""
    if value is None:
        return ""
    return f"{value:+.2f}"
