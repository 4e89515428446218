#!/bin/sh
# Temporal's persistence and visibility schemas, the way Temporal's own compose files set them up
# (temporalio/samples-server compose/scripts/setup-postgres.sh): temporal-sql-tool of the
# admin-tools image. Every step is idempotent; `update-schema` brings an existing database to the
# schema version of the image, which is how an upgrade of Temporal migrates its databases.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
SQL_PASSWORD="$(cat /run/secrets/temporal_db_password)"
export SQL_PASSWORD

port="${DB_PORT:-5432}"
schema=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL at ${POSTGRES_SEEDS}:${port}..."
nc -z -w 10 "${POSTGRES_SEEDS}" "${port}"

tool() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${port}" -u "${POSTGRES_USER}" "$@"
}

tool --db "${DBNAME:-temporal}" create
tool --db "${DBNAME:-temporal}" setup-schema -v 0.0
tool --db "${DBNAME:-temporal}" update-schema -d "${schema}/temporal/versioned"

tool --db "${VISIBILITY_DBNAME:-temporal_visibility}" create
tool --db "${VISIBILITY_DBNAME:-temporal_visibility}" setup-schema -v 0.0
tool --db "${VISIBILITY_DBNAME:-temporal_visibility}" update-schema -d "${schema}/visibility/versioned"

echo "Temporal schemas are up to date"
