-- One-time set-up of the PostgreSQL roles of split mode (issue #10 item 2, DESIGN §3 data ownership), run by a
-- database owner or superuser before the first start:
--
--   psql "postgres://postgres@db/rssp" -v sam_password=… -v api_password=… -f scripts/db-roles.sql
--
-- Two login roles, each owning only the schemas of its part: the SAM's role owns `sam` (credentials, SADs, factors,
-- the audit chain) and cannot read the OAuth tables; the api's role owns `authz` and `rssp` and cannot read or write
-- anything of the SAM's. Each process then migrates its own schemas as itself (SERVICES=sam with the SAM's role in
-- DATABASE_URL, SERVICES=api with the api's). Names default to rssp_sam and rssp_api (-v sam_role=… -v api_role=…).
-- Objects created earlier by another role (a one-process deployment being split) are handed to their part's role.
\set ON_ERROR_STOP on
\if :{?sam_role}
\else
  \set sam_role rssp_sam
\endif
\if :{?api_role}
\else
  \set api_role rssp_api
\endif

BEGIN;
CREATE ROLE :"sam_role" LOGIN NOINHERIT;
CREATE ROLE :"api_role" LOGIN NOINHERIT;
\if :{?sam_password}
  ALTER ROLE :"sam_role" PASSWORD :'sam_password';
\endif
\if :{?api_password}
  ALTER ROLE :"api_role" PASSWORD :'api_password';
\endif

-- Nobody but the owners creates anything in public; every role may still look up the bookkeeping table there.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS sam;
CREATE SCHEMA IF NOT EXISTS authz;
CREATE SCHEMA IF NOT EXISTS rssp;
ALTER SCHEMA sam OWNER TO :"sam_role";
ALTER SCHEMA authz OWNER TO :"api_role";
ALTER SCHEMA rssp OWNER TO :"api_role";
REVOKE ALL ON SCHEMA sam, authz, rssp FROM PUBLIC;

-- Tables (with their sequences) and functions already there go to the role of their schema.
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, CASE schemaname WHEN 'sam' THEN :'sam_role' ELSE :'api_role' END)
  FROM pg_tables WHERE schemaname IN ('sam', 'authz', 'rssp') \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, CASE n.nspname WHEN 'sam' THEN :'sam_role' ELSE :'api_role' END)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('sam', 'authz', 'rssp') \gexec

-- Which migration files ran: each role reads and adds the rows of its own schemas only.
CREATE TABLE IF NOT EXISTS public.schema_migrations (
  schema text NOT NULL, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schema, name));
GRANT SELECT, INSERT ON public.schema_migrations TO :"sam_role", :"api_role";
ALTER TABLE public.schema_migrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY :"sam_role" ON public.schema_migrations TO :"sam_role" USING (schema = 'sam') WITH CHECK (schema = 'sam');
CREATE POLICY :"api_role" ON public.schema_migrations TO :"api_role" USING (schema IN ('authz', 'rssp')) WITH CHECK (schema IN ('authz', 'rssp'));
COMMIT;
