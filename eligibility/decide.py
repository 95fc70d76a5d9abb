"""Combine the rules into the two decisions the store records: *may it buy?* and *buy*.

Still pure (a product, its relevant purchase window, an instant): the store loads these and
persists the result. The order of paths matters and is deliberate: activation-based first
purchase, then renewal, and only then the purchase window, so a window is not consumed when
the product would be eligible without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import (
    EligibilityDecision,
    Plan,
    Product,
    PurchaseDecision,
    RuleResult,
    Window,
)
from eligibility.rules import (
    coverage_cap,
    first_purchase,
    plan_kind_sold,
    region_rule,
    renewal,
    window_rule,
)
from eligibility.rules.common import coverage_end, stamp
from eligibility.rules.plan_start import plan_end

SELLABLE = ("1y", "2y")


@dataclass(frozen=True)
class _Path:
    """One way to buy: the rule that opens it, and the plan kinds it sells."""

    result: RuleResult
    kinds: tuple[str, ...]
    uses_window: bool = False
    renewal: bool = False


def _paths(product: Product, window: Window | None, now: datetime) -> list[_Path]:
    catalogue = get_catalogue()
    first_kinds = tuple(k for k in SELLABLE if catalogue.plan_kind(k).first_purchase)
    renewal_kinds = tuple(k for k in SELLABLE if catalogue.plan_kind(k).renewal)
    paths = [_Path(first_purchase(product, now), first_kinds)]
    if product.plans:
        # The renewal result for the renewable kind; asked about 2y it explains the refusal.
        paths.append(_Path(renewal(product, renewal_kinds[0], now), renewal_kinds, renewal=True))
    paths.append(_Path(window_rule(window, now), first_kinds, uses_window=True))
    return paths


def _primary_refusal(paths: list[_Path]) -> RuleResult:
    """The refusal an agent should read first when no path is open.

    An expired window is the latest event, so it comes first; then the renewal rule when the
    product had plans (after a window was used, renewal is what applies); then a used window;
    else the first-purchase rule.
    """
    window = next(p.result for p in paths if p.uses_window)
    renewal_result = next((p.result for p in paths if p.renewal), None)
    if window.code == RuleCode.WINDOW_EXPIRED:
        return window
    if renewal_result is not None:
        return renewal_result
    if window.code != RuleCode.NO_WINDOW:
        return window
    return paths[0].result


def evaluate(product: Product, window: Window | None, now: datetime) -> EligibilityDecision:
    """May ``product`` buy a plan at ``now``, by which rule, and which plan kinds fit."""
    checks: list[RuleResult] = []
    own_region = region_rule(product, product.region)
    checks.append(own_region)
    paths = _paths(product, window, now)
    checks.extend(p.result for p in paths)
    shown_window = window if window is not None and window.issued_at <= now else None

    def decision(result: RuleResult, eligible: bool, plans: list[str]) -> EligibilityDecision:
        return EligibilityDecision(
            aircraft_sn=product.aircraft_sn,
            at=now,
            eligible=eligible,
            rule=result.rule,
            code=result.code,
            message=result.message,
            plans=plans,
            window=shown_window,
            checks=checks,
        )

    if not own_region.allowed:
        return decision(own_region, False, [])
    open_paths = [p for p in paths if p.result.allowed]
    if not open_paths:
        return decision(_primary_refusal(paths), False, [])
    caps = {k: coverage_cap(product, k) for p in open_paths for k in p.kinds}
    checks.extend(caps.values())
    for path in open_paths:
        kinds = [k for k in path.kinds if caps[k].allowed]
        if kinds:
            return decision(path.result, True, kinds)
    cap = next(iter(caps.values()))
    return decision(cap, False, [])


@dataclass(frozen=True)
class PurchaseOutcome:
    """A purchase decision plus what the store must write when it is allowed."""

    decision: PurchaseDecision
    plan: Plan | None
    uses_window: bool


def decide_purchase(
    product: Product, plan_kind: str, region: str, window: Window | None, now: datetime
) -> PurchaseOutcome:
    """Decide whether ``plan_kind`` may be bought in ``region`` at ``now``; build the plan.

    A first purchase or window purchase starts now; a renewal starts when the current plan
    ends (or now, when it already ended within the grace period) so coverage never overlaps.
    """
    catalogue = get_catalogue()
    region_code = catalogue.region(region).code
    checks: list[RuleResult] = []

    def outcome(result: RuleResult, plan: Plan | None = None, uses_window: bool = False) -> PurchaseOutcome:
        message = result.message
        if plan is not None:
            kind_name = catalogue.plan_kind(plan_kind).name
            message = (
                f"{kind_name} bound for {plan.region}, covering {stamp(plan.start)} to "
                f"{stamp(plan.end)}. Allowed because: {result.message}"
            )
        return PurchaseOutcome(
            decision=PurchaseDecision(
                aircraft_sn=product.aircraft_sn,
                at=now,
                plan_kind=plan_kind,
                region=region_code,
                allowed=plan is not None,
                rule=result.rule,
                code=result.code,
                message=message,
                plan=plan,
                window=window if uses_window else None,
                checks=checks,
            ),
            plan=plan,
            uses_window=uses_window,
        )

    not_sold = plan_kind_sold(plan_kind)
    if not_sold is not None:
        checks.append(not_sold)
        return outcome(not_sold)
    region_result = region_rule(product, region_code)
    checks.append(region_result)
    if not region_result.allowed:
        return outcome(region_result)
    paths = _paths(product, window, now)
    if product.plans:
        # Ask the renewal rule about the kind actually requested (2y is refused there).
        paths = [
            _Path(renewal(product, plan_kind, now), p.kinds, renewal=True) if p.renewal else p for p in paths
        ]
    checks.extend(p.result for p in paths)
    for path in paths:
        if not (path.result.allowed and plan_kind in path.kinds):
            continue
        cap = coverage_cap(product, plan_kind)
        checks.append(cap)
        if not cap.allowed:
            return outcome(cap)
        start, stored_kind = now, plan_kind
        if path.renewal:
            end_so_far = coverage_end(product)
            start = max(now, end_so_far) if end_so_far else now
            stored_kind = "1y_renewal"
        plan = Plan(
            kind=stored_kind,
            start=start,
            end=plan_end(stored_kind, start),
            region=region_code,
            source="purchase",
            window_id=window.id if path.uses_window and window else None,
        )
        return outcome(path.result, plan, path.uses_window)
    refusal = _primary_refusal(paths)
    return outcome(refusal)
