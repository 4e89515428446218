#!/bin/sh
# Create the secrets files of compose.yaml in ./secrets (once; existing files are kept):
#   postgres_password       PostgreSQL superuser `postgres`
#   temporal_db_password    role `temporal` (Temporal's two databases)
#   dwatch_db_password      role `dwatch` (the store)
#   dwatch_database_url     postgresql+psycopg://dwatch:<dwatch_db_password>@postgres:5432/dwatch
#   web_session_secret      signs dashboard sessions, API tokens and CSRF cookies
#   web_admin_password      password of the first user `admin` (created when there is no user)
#   apprise.yml             apprise configuration: the supervisors' notification URLs (edit it)
# The directory is private (0700); the files are 0444 because compose bind-mounts each one into
# containers that run as other users (postgres, temporal 1000, dwatch 10001).
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 700 secrets

random() {
  # 32 URL-safe characters: safe inside a database URL without quoting.
  python3 -c 'import secrets; print(secrets.token_urlsafe(24))' 2>/dev/null \
    || head -c 24 /dev/urandom | base64 | tr '+/' '-_'
}

write() {
  if [ -e "secrets/$1" ]; then
    echo "kept    secrets/$1"
  else
    printf '%s\n' "$2" > "secrets/$1"
    echo "created secrets/$1"
  fi
  chmod 444 "secrets/$1"
}

write postgres_password "$(random)"
write temporal_db_password "$(random)"
write dwatch_db_password "$(random)"
write dwatch_database_url "postgresql+psycopg://dwatch:$(cat secrets/dwatch_db_password)@postgres:5432/dwatch"
write web_session_secret "$(random)$(random)"
write web_admin_password "$(random)"
if [ ! -e secrets/apprise.yml ]; then
  cp apprise.yml.example secrets/apprise.yml
  echo "created secrets/apprise.yml (from apprise.yml.example: put the real notification URLs in it)"
fi
chmod 444 secrets/apprise.yml
echo "The first sign-in to the dashboard is user admin, password in secrets/web_admin_password."
