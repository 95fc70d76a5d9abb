"""Read product records from CSV or JSON files into validated ``ProductIn`` models.

Parsing and validation happen before anything touches the store, so a file with one bad row
is refused as a whole with the row named, and nothing is imported.

JSON: a list of product objects (or ``{"products": [...]}``) with the fields of
``ProductIn``, including ``plans`` and ``replacements``.
CSV: a header with ``aircraft_sn, rc_sn, model, region, activated_at`` and optionally one
plan per row in ``plan_kind, plan_start, plan_end, plan_region``; empty cells mean "none".
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eligibility.errors import InvalidInput
from eligibility.models import ProductIn
from eligibility.timeutil import parse_instant

CSV_FIELDS = ("aircraft_sn", "rc_sn", "model", "region", "activated_at")
CSV_PLAN_FIELDS = ("plan_kind", "plan_start", "plan_end", "plan_region")


def describe(exc: ValidationError) -> str:
    """A one-line summary of a pydantic error, for a terminal or a log line."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _instant(value: str) -> str:
    """CSV times without an offset are UTC (as on the command line)."""
    try:
        return parse_instant(value).isoformat()
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def _from_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    clean = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
    for key in ("activated_at", "plan_start", "plan_end"):
        if clean.get(key):
            clean[key] = _instant(clean[key])
    missing = [f for f in ("aircraft_sn", "model", "region") if not clean.get(f)]
    if missing:
        raise InvalidInput(f"missing {', '.join(missing)}")
    unknown = set(clean) - set(CSV_FIELDS) - set(CSV_PLAN_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown column(s) {', '.join(sorted(unknown))}")
    record: dict[str, Any] = {f: clean[f] for f in CSV_FIELDS if clean.get(f)}
    if clean.get("plan_kind"):
        plan = {"kind": clean["plan_kind"], "start": clean.get("plan_start") or None}
        if clean.get("plan_end"):
            plan["end"] = clean["plan_end"]
        if clean.get("plan_region"):
            plan["region"] = clean["plan_region"]
        record["plans"] = [plan]
    return record


def _raw_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
        if isinstance(data, dict):
            data = data.get("products")
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise InvalidInput(f"{path}: expected a list of product objects")
        return [(f"item {i}", item) for i, item in enumerate(data, start=1)]
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "aircraft_sn" not in reader.fieldnames:
            raise InvalidInput(f"{path}: CSV needs a header with {', '.join(CSV_FIELDS)}")
        records = []
        for line, row in enumerate(reader, start=2):
            try:
                records.append((f"line {line}", _from_csv_row(row)))
            except InvalidInput as exc:
                raise InvalidInput(f"{path} line {line}: {exc}") from exc
        return records
    raise InvalidInput(f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .json")


def read_products(path: str | Path) -> list[ProductIn]:
    """All product records in ``path``, validated; ``InvalidInput`` names the first bad one."""
    path = Path(path)
    products = []
    seen: set[str] = set()
    for where, raw in _raw_records(path):
        try:
            product = ProductIn.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInput(f"{path} {where}: {describe(exc)}") from exc
        if product.aircraft_sn in seen:
            raise InvalidInput(f"{path} {where}: aircraft serial {product.aircraft_sn} repeated")
        seen.add(product.aircraft_sn)
        products.append(product)
    return products
