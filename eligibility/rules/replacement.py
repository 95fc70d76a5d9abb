"""Replacement allowance of the plan covering ``now``.

Seeds: "Two replacements in one year, usable once for flyaway; four replacements in two
years, usable twice for flyaway"; flyaway only for the listed models (``flyaway`` in the
catalogue). The counts per plan kind are data (``plans.json``). A replacement unit inherits
the plan of the unit it replaces, so replacements are counted per plan, not per serial.
"""

from __future__ import annotations

from datetime import datetime

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Plan, Product, ReplacementKind, RuleResult
from eligibility.rules.common import active_plan, stamp

RULE = "replacement"


def _result(allowed: bool, code: RuleCode, message: str) -> RuleResult:
    return RuleResult(rule=RULE, allowed=allowed, code=code, message=message)


_ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth"}


def replacements_in(product: Product, plan: Plan) -> tuple[int, int]:
    """(all, flyaway) replacements used within ``plan``'s period."""
    used = [r for r in product.replacements if plan.start <= r.at <= plan.end]
    return len(used), sum(1 for r in used if r.kind == "flyaway")


def replacement_allowance(product: Product, kind: ReplacementKind, now: datetime) -> RuleResult:
    """Whether a ``kind`` replacement is available now under the plan covering ``now``."""
    catalogue = get_catalogue()
    model = catalogue.model(product.model)
    plan = active_plan(product, now)
    if plan is None:
        return _result(False, RuleCode.NO_ACTIVE_PLAN, "No DJI Care Refresh plan covers this date.")
    if kind == "flyaway" and not model.flyaway:
        return _result(
            False,
            RuleCode.FLYAWAY_NOT_COVERED,
            f"{model.name} has no flyaway cover: DJI Care Refresh replaces it only after damage.",
        )
    plan_kind = catalogue.plan_kind(plan.kind)
    used, flyaways = replacements_in(product, plan)
    if used >= plan_kind.replacements:
        return _result(
            False,
            RuleCode.REPLACEMENTS_USED_UP,
            f"All {plan_kind.replacements} replacements of the plan ({plan_kind.name}, until "
            f"{stamp(plan.end)}) are used.",
        )
    if kind == "flyaway" and flyaways >= plan_kind.flyaway:
        times = "once" if plan_kind.flyaway == 1 else f"{plan_kind.flyaway} times"
        return _result(
            False,
            RuleCode.FLYAWAY_USED_UP,
            f"Flyaway cover can be used {times} in {plan_kind.name}, and is used up.",
        )
    nth = _ORDINAL.get(used + 1, f"#{used + 1}")
    fees = model.replacement_fees_usd.get("1y", {})
    fee = fees.get("first" if used == 0 else "second") if used < 2 else None
    fee_text = f" Replacement fee: ${fee}." if fee is not None else ""
    return _result(
        True,
        RuleCode.REPLACEMENT_AVAILABLE,
        f"{kind.capitalize()} replacement available: the {nth} of {plan_kind.replacements} in "
        f"{plan_kind.name}.{fee_text}",
    )
