// Which TSA the SAM uses (TSA_URL or its own), built once per process and shared by signatures/timestamp and the
// audit checkpoints.
import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db.ts';
import { ensureSamKeys } from '../app/sad/sam_keys.ts';
import { ensureDevCa, type CertificateAuthority } from '../ca/dev_ca.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { pgCaStore } from '../store/ca_store.ts';
import { ensureLocalTsa } from './local_tsa.ts';
import { remoteTsa } from './remote_tsa.ts';
import { DEFAULT_TSA_POLICY_OID, type Tsa } from './tsa.ts';

export async function openTsa(deps: {
  db: Db;
  hsm: Hsm;
  config: Config['sam']['tsa'];
  /** The SAM's CA; absent: the development CA of this token (as createSamPartsOnHsm finds it). */
  ca?: CertificateAuthority;
  now?: () => Date;
}): Promise<Tsa> {
  const now = deps.now ?? (() => new Date());
  if (deps.config?.url) return remoteTsa({ url: deps.config.url, timeoutMs: deps.config.timeoutSeconds * 1000 });
  // The certificate is stored under the token's scope, like the CA root (sam/store/ca_store.ts).
  const store = pgCaStore(deps.db, (await ensureSamKeys(deps.hsm)).sadKid);
  const ca = deps.ca ?? (await ensureDevCa(deps.hsm, store, { now }));
  return ensureLocalTsa({ hsm: deps.hsm, ca, store, policy: deps.config?.policyOid ?? DEFAULT_TSA_POLICY_OID, now });
}
