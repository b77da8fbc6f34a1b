-- One-time credentials (CSC v2.2 credentials/create, as the EUDI rQES flow uses them): a key and a short-lived
-- certificate for one transaction. The SAM deletes such a credential (key objects destroyed in the token, this row
-- removed) once an authorization of it has been spent by signatures/signHash, or when its certificate has expired
-- (sam/app/delete_credential.ts). Not part of the row's seal: a changed flag can only make the SAM delete a key
-- earlier or leave it until the certificate has expired, and an expired certificate is refused before any key use.
ALTER TABLE sam.credentials ADD COLUMN one_time boolean NOT NULL DEFAULT false;

CREATE INDEX credentials_one_time_idx ON sam.credentials (not_after) WHERE one_time;
