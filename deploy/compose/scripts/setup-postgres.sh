#!/bin/sh
# Roles and databases on the PostgreSQL server (run by the postgres-setup one-shot, postgres image).
#   role temporal (CREATEDB): temporal-sql-tool creates `temporal` and `temporal_visibility` with it;
#   role dwatch: owns the database `dwatch` (the store; `dwatch db upgrade` creates its tables).
# Idempotent; passwords are set from the secret files on every run, so rotating a file and running
# `docker compose up` again rotates the password (then restart the services that use it).
set -eu

PGPASSWORD="$(cat /run/secrets/postgres_password)"
export PGPASSWORD

psql -v ON_ERROR_STOP=1 -d postgres \
  --set=temporal_pw="$(cat /run/secrets/temporal_db_password)" \
  --set=dwatch_pw="$(cat /run/secrets/dwatch_db_password)" <<'SQL'
SELECT 'CREATE ROLE temporal LOGIN CREATEDB'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal') \gexec
ALTER ROLE temporal WITH LOGIN CREATEDB PASSWORD :'temporal_pw';

SELECT 'CREATE ROLE dwatch LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dwatch') \gexec
ALTER ROLE dwatch WITH LOGIN NOCREATEDB PASSWORD :'dwatch_pw';

SELECT 'CREATE DATABASE dwatch OWNER dwatch ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'dwatch') \gexec
REVOKE ALL ON DATABASE dwatch FROM PUBLIC;
SQL

echo "PostgreSQL roles and databases are in place"
