#!/usr/bin/env bash
# Starts a local PostgreSQL server on 127.0.0.1:5432 for the state-service tests and makes
# the role `runtara` (password `runtara`, allowed to create databases). Installs the Debian
# package when missing. Prints the admin URL the tests take as RUNTARA_TEST_POSTGRES_URL.
# Needs root (it runs commands as the `postgres` user).
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null; then
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$version" main start >&2
fi
su postgres -c "psql -v ON_ERROR_STOP=1 -q" >&2 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'runtara') THEN
    CREATE ROLE runtara LOGIN CREATEDB PASSWORD 'runtara';
  END IF;
END
$$;
SQL
echo "postgres://runtara:runtara@127.0.0.1:5432/postgres"
