#!/bin/sh
# Run once by the postgres image on a new data directory (docker-entrypoint-initdb.d): the roles of split mode.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v sam_password="$RSSP_SAM_DB_PASSWORD" -v api_password="$RSSP_API_DB_PASSWORD" \
  -f /rssp/db-roles.sql
