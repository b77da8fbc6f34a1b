-- The credential row sealed by the SAM (issue #14 finding 3): an ECDSA P-256 signature, by a key that lives in the
-- HSM (label rssp-credential-seal), over the fields that decide who may sign with the credential and how — owner,
-- key, PIN hash, OTP channel, approval mode, SCAL, multisign, enabled and the certificate's validity
-- (sam/app/credential_seal.ts builds the signed bytes). A database writer who changes any of them, or copies one
-- credential's seal onto another, leaves a row the SAM refuses to use (SAM_CREDENTIAL_TAMPERED). Rows written
-- before this migration are sealed once, when the SAM first creates the seal key; after that a row without a seal
-- is refused like a forged one. The failure counters and the lock are not sealed: they change on every attempt.
ALTER TABLE sam.credentials ADD COLUMN seal bytea;
