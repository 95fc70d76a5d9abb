#!/usr/bin/env bash
# Starts Redis and PostgreSQL on 127.0.0.1 when they are not already answering.
# Development machines and CI start them before a session; a fresh machine does not.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis on 127.0.0.1:6379"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/vidverify.log
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting postgresql on 127.0.0.1:5432"
  cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  if [ -z "$cluster" ]; then
    echo "postgresql is not installed; run scripts/install_system.sh" >&2
    exit 1
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.2; done
fi

# The tests use database "test" with trust auth for local connections, as on the
# development machines; create it where it is missing.
if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -c "psql -q -c \"create database test\"" >/dev/null 2>&1 || true
  fi
fi
