// Expired rows of the authz schema (core/purge.ts). Only rows whose expiry is older than the retention go: a token,
// OAuth artefact or credential grant past its expiry is refused anyway, and the retention keeps a reused refresh
// token recognisable (its family is revoked, RFC 9700 §4.14.2) for a while after it expired.
import { deleteInBatches } from '../core/purge.ts';
import type { Db, DbClient } from '../core/db.ts';

export async function purgeAuthz(db: Db | DbClient, expiredBefore: Date): Promise<Record<string, number>> {
  return {
    'authz.tokens': await deleteInBatches(db, 'authz.tokens', 'expires_at < $1', [expiredBefore]),
    'authz.oauth_models': await deleteInBatches(db, 'authz.oauth_models', 'expires_at < $1', [expiredBefore]),
    'authz.oauth_credential_grants': await deleteInBatches(db, 'authz.oauth_credential_grants', 'expires_at < $1', [expiredBefore]),
    'authz.oauth_management_grants': await deleteInBatches(db, 'authz.oauth_management_grants', 'expires_at < $1', [expiredBefore]),
  };
}
