"""Flow steps: the production steps an order may require and a station may perform.

This table is the one place that ties a step to its order flag, its wire name and both of
its verification messages. The order of the table is the order in which completion checks
steps, so the first missing step is the one reported.
"""

from dataclasses import dataclass

from django.db import models


class FlowStep(models.TextChoices):
    # A label not given is the name in title case ("Hard Coat"), as Django derives it.
    BACKSIDE_COAT = "backside_coat"
    AR_COAT = "ar_coat", "AR Coat"
    TINT = "tint"
    MIRROR = "mirror"
    UV = "uv", "UV"
    HARD_COAT = "hard_coat"
    POLISH = "polish"
    ETCHING = "etching"
    DROP_BALL = "drop_ball"
    FINAL_QA = "final_qa", "Final QA"


@dataclass(frozen=True)
class FlowStepSpec:
    step: FlowStep
    order_field: str  # boolean field on Order: the order requires this step
    wire_name: str  # camelCase key in API payloads
    short: str  # used in "<SHORT> not needed" at check-in

    @property
    def needs_message(self) -> str:
        return f"Needs {self.step.label}!"

    @property
    def not_needed_message(self) -> str:
        return f"{self.short} not needed"


FLOW_STEPS: tuple[FlowStepSpec, ...] = (
    FlowStepSpec(FlowStep.BACKSIDE_COAT, "requires_backside_coat", "requiresBacksideCoat", "BSC"),
    FlowStepSpec(FlowStep.AR_COAT, "requires_ar_coat", "requiresArCoat", "AR"),
    FlowStepSpec(FlowStep.TINT, "requires_tint", "requiresTint", "TINT"),
    FlowStepSpec(FlowStep.MIRROR, "requires_mirror", "requiresMirror", "MIRROR"),
    FlowStepSpec(FlowStep.UV, "requires_uv", "requiresUv", "UV"),
    FlowStepSpec(FlowStep.HARD_COAT, "requires_hard_coat", "requiresHardCoat", "HC"),
    FlowStepSpec(FlowStep.POLISH, "requires_polish", "requiresPolish", "POLISH"),
    FlowStepSpec(FlowStep.ETCHING, "requires_etching", "requiresEtching", "ETCH"),
    FlowStepSpec(FlowStep.DROP_BALL, "requires_drop_ball", "requiresDropBall", "DROP BALL"),
    FlowStepSpec(FlowStep.FINAL_QA, "requires_final_qa", "requiresFinalQa", "FINAL QA"),
)

FLOW_STEP_BY_KEY = {spec.step: spec for spec in FLOW_STEPS}
