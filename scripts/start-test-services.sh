#!/usr/bin/env bash
# Makes sure the services the PostgreSQL and multi-node tests talk to are running on loopback:
# PostgreSQL on 127.0.0.1:5432 (trust auth for the tests' own databases) and Redis on
# 127.0.0.1:6379. Starts whichever is installed but down; fails with what to do when one is
# missing. Safe to run again.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "PostgreSQL is not running on 127.0.0.1:5432 and no local cluster is installed: install PostgreSQL (apt-get install -y postgresql) or set THREADLINE_TEST_POSTGRES_URL." >&2
    exit 1
  fi
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not running on 127.0.0.1:6379 and is not installed: install it (apt-get install -y redis-server) or set THREADLINE_TEST_REDIS_URL." >&2
    exit 1
  fi
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  redis-cli -h 127.0.0.1 -p 6379 ping
fi
