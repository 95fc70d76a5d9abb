"""Alembic's entry point for this package's history; the work is in ``vidverify.migrate``."""

from alembic import context

from vidverify.migrate import run_env

run_env(context)
