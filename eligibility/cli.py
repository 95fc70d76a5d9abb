"""``vidverify`` subcommands of the eligibility core: products, eligibility, purchase.

Exit status: 0 done / eligible / bound, 1 refused by a rule, 2 bad usage or input. Input is
validated before the store is opened, so a malformed serial or unknown model changes nothing
(not even creating the database file). The store is ``--db URL``, else ``$DATABASE_URL``,
else the SQLite file ``vidverify.db`` in the current directory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from eligibility.catalogue import get_catalogue
from eligibility.errors import EligibilityError
from eligibility.importer import describe
from eligibility.models import EligibilityDecision, ProductIn, PurchaseDecision
from eligibility.serials import check_serial
from eligibility.store import Store
from eligibility.timeutil import parse_instant, utc_now

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class _BadInput(Exception):
    """Raised by helpers below; reported as one line on stderr with exit status 2."""


def _fail(command: str, message: str) -> int:
    print(f"vidverify {command}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _guarded(command: str, handler: Handler) -> Handler:
    """Turn every expected failure into one stderr line and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ValidationError as exc:
            return _fail(command, describe(exc))
        except (_BadInput, EligibilityError, ValueError) as exc:
            return _fail(command, str(exc))
        except SQLAlchemyError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return _fail(command, f"database error: {first}")

    return run


def _at(args: argparse.Namespace) -> datetime:
    return parse_instant(args.at) if args.at else utc_now()


def _serial(value: str) -> str:
    try:
        return check_serial(value)
    except ValueError as exc:
        raise _BadInput(str(exc)) from exc


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db)


# --------------------------------------------------------------------------- products


def _products_add(args: argparse.Namespace) -> int:
    now = utc_now()
    raw = {
        "aircraft_sn": args.aircraft_sn,
        "rc_sn": args.rc_sn,
        "model": args.model,
        "region": args.region,
        "activated_at": parse_instant(args.activated_at) if args.activated_at else None,
    }
    try:
        product_in = ProductIn.model_validate(raw)
    except ValidationError as exc:
        raise _BadInput(describe(exc)) from exc
    if product_in.activated_at is not None and product_in.activated_at > now:
        raise _BadInput(f"--activated-at {args.activated_at} is in the future")
    with _store(args) as store:
        product = store.add_product(product_in, now=now)
    activated = product.activated_at.isoformat() if product.activated_at else "not activated"
    print(
        f"recorded {product.aircraft_sn} ({product.model}, {product.category}, "
        f"RC {product.rc_sn or '-'}, {product.region}, {activated})"
    )
    return EXIT_OK


def _products_import(args: argparse.Namespace) -> int:
    with _store(args) as store:
        products = store.import_products(args.file)
    print(f"imported {len(products)} product(s) from {args.file}")
    return EXIT_OK


# --------------------------------------------------------------------------- decisions


def _print_eligibility(decision: EligibilityDecision) -> None:
    verdict = "ELIGIBLE" if decision.eligible else "NOT ELIGIBLE"
    print(f"{decision.aircraft_sn}: {verdict} at {decision.at.isoformat()}")
    print(f"  rule: {decision.rule} ({decision.code})")
    print(f"  {decision.message}")
    if decision.plans:
        names = [f"{k} = {get_catalogue().plan_kind(k).name}" for k in decision.plans]
        print(f"  plans: {'; '.join(names)}")
    window = decision.window
    if window is not None:
        print(
            f"  window: {window.status}, {window.source} {window.reference}, "
            f"expires {window.expires_at.isoformat()}"
        )


def _eligibility(args: argparse.Namespace) -> int:
    serial = _serial(args.serial)
    at = _at(args)
    with _store(args) as store:
        decision = store.evaluate(serial, at)
    if args.json:
        print(decision.model_dump_json(indent=2))
    else:
        _print_eligibility(decision)
    return EXIT_OK if decision.eligible else EXIT_REFUSED


def _print_purchase(decision: PurchaseDecision) -> None:
    verdict = "BOUND" if decision.allowed else "REFUSED"
    print(f"{decision.aircraft_sn}: {decision.plan_kind} in {decision.region}: {verdict}")
    print(f"  rule: {decision.rule} ({decision.code})")
    print(f"  {decision.message}")
    if decision.window is not None:
        print(f"  window {decision.window.reference}: {decision.window.status}")


def _purchase(args: argparse.Namespace) -> int:
    serial = _serial(args.serial)
    catalogue = get_catalogue()
    catalogue.plan_kind(args.plan)
    catalogue.region(args.region)
    at = _at(args)
    with _store(args) as store:
        decision = store.purchase(serial, args.plan, args.region, at)
    if args.json:
        print(decision.model_dump_json(indent=2))
    else:
        _print_purchase(decision)
    return EXIT_OK if decision.allowed else EXIT_REFUSED


# --------------------------------------------------------------------------- registration


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="database URL (default: $DATABASE_URL, else sqlite:///vidverify.db)",
    )


def _at_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", metavar="ISO", help="decide as of this instant (ISO 8601; UTC if no offset)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``products``, ``eligibility`` and ``purchase`` to the ``vidverify`` command."""
    products = subparsers.add_parser("products", help="product records of the eligibility core")
    products_sub = products.add_subparsers(dest="products_command", metavar="ACTION")
    products.set_defaults(func=lambda _args: _fail("products", "choose an action: add, import"))

    add = products_sub.add_parser("add", help="record one product")
    add.add_argument("--aircraft-sn", required=True, metavar="SN", help="aircraft serial")
    add.add_argument("--rc-sn", metavar="SN", help="serial of the bound remote controller")
    add.add_argument("--model", required=True, metavar="NAME", help='e.g. "DJI Mini 3 Pro"')
    add.add_argument("--region", required=True, metavar="CODE", help="purchase region: US, EU...")
    add.add_argument("--activated-at", metavar="ISO", help="activation time (omit if never)")
    _db_option(add)
    add.set_defaults(func=_guarded("products add", _products_add))

    imp = products_sub.add_parser("import", help="import products from a CSV or JSON file")
    imp.add_argument("file", metavar="FILE")
    _db_option(imp)
    imp.set_defaults(func=_guarded("products import", _products_import))

    elig = subparsers.add_parser("eligibility", help="may this product buy a DJI Care Refresh plan now?")
    elig.add_argument("serial", metavar="SN", help="aircraft serial (or bound RC serial)")
    _at_option(elig)
    elig.add_argument("--json", action="store_true", help="print the decision as JSON")
    _db_option(elig)
    elig.set_defaults(func=_guarded("eligibility", _eligibility))

    buy = subparsers.add_parser("purchase", help="bind a DJI Care Refresh plan if the rules allow")
    buy.add_argument("serial", metavar="SN", help="aircraft serial (or bound RC serial)")
    buy.add_argument("--plan", required=True, choices=["1y", "2y"], help="plan to buy")
    buy.add_argument("--region", required=True, metavar="CODE", help="region of the purchase")
    _at_option(buy)
    buy.add_argument("--json", action="store_true", help="print the decision as JSON")
    _db_option(buy)
    buy.set_defaults(func=_guarded("purchase", _purchase))
