// Administration of an existing credential: CSR for an external CA, installing its chain, enabling/disabling,
// unlocking after too many wrong factors, and the state rssp publishes in credentials/info (CSC v2 §11.5).
import { signAlgosFor } from '../../core/algorithms.ts';
import { SamError, type CredentialState, type RequestContext, type SignatureActivation } from '../../core/sam_port.ts';
import { writeAudit } from '../audit/audit_log.ts';
import { checkChain } from '../ca/chain.ts';
import { createCsr as buildCsr } from '../ca/csr.ts';
import {
  getCredential,
  getCredentials,
  unlockCredential,
  updateSealed,
  type CredentialRecord,
} from '../store/credentials.ts';
import { resetUserOtpFailures } from '../store/otp.ts';
import type { SamDeps } from './deps.ts';
import { mapHsmErrors } from './hsm_errors.ts';
import { KEY_INFO } from './key_info.ts';

async function load(deps: SamDeps, credentialID: string): Promise<CredentialRecord> {
  const cred = await getCredential(deps.db, deps.credentialSeal, credentialID);
  if (!cred) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
  return cred;
}

export async function createCsr(
  deps: SamDeps,
  cmd: Parameters<SignatureActivation['createCsr']>[0],
): Promise<{ csr: Uint8Array }> {
  const cred = await load(deps, cmd.credentialID);
  const subject = cmd.subject ?? { commonName: cred.credentialId };
  const csr = await mapHsmErrors(() => buildCsr(deps.hsm, { keyId: cred.keyId, spki: cred.spki, algo: cred.keyAlgo }, subject));
  return { csr };
}

/** Binds a chain issued elsewhere; sam/ca/chain.ts refuses a chain for another key or one that does not hold
 *  together (SAM_CERT_MISMATCH, SAM_CERT_CHAIN_INVALID). */
export async function installCertificates(
  deps: SamDeps,
  cmd: { ctx: RequestContext; credentialID: string; certificates: Uint8Array[] },
): Promise<{ notBefore: string; notAfter: string }> {
  const cred = await load(deps, cmd.credentialID);
  const { notBefore, notAfter } = checkChain(cmd.certificates, cred.spki, deps.now());
  await updateSealed(deps.db, deps.credentialSeal, cred.credentialId, { notBefore, notAfter });
  deps.log.info({ event: 'sam.credential.certificates', credentialID: cred.credentialId, requestId: cmd.ctx.requestId }, 'certificates installed');
  return { notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
}

export async function setEnabled(deps: SamDeps, cmd: { ctx: RequestContext; credentialID: string; enabled: boolean }): Promise<void> {
  if (!(await updateSealed(deps.db, deps.credentialSeal, cmd.credentialID, { enabled: cmd.enabled }))) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
  deps.log.info({ event: 'sam.credential.enabled', credentialID: cmd.credentialID, enabled: cmd.enabled, requestId: cmd.ctx.requestId }, 'credential state');
}

export async function unlock(deps: SamDeps, cmd: { ctx: RequestContext; credentialID: string }): Promise<void> {
  const ownerId = await unlockCredential(deps.db, cmd.credentialID);
  if (ownerId === null) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
  // The owner's authenticator is unlocked with it: its per-user count of wrong codes starts again.
  await resetUserOtpFailures(deps.db, ownerId);
  await writeAudit(deps.db, { event: 'unlock', ctx: cmd.ctx, credentialId: cmd.credentialID }, 'ok');
  deps.log.info({ event: 'sam.credential.unlock', credentialID: cmd.credentialID, requestId: cmd.ctx.requestId }, 'credential unlocked');
}

/** States in the order asked; unknown ids are left out. */
export async function state(deps: SamDeps, credentialIDs: string[]): Promise<CredentialState[]> {
  if (credentialIDs.length === 0) return [];
  const byId = new Map((await getCredentials(deps.db, deps.credentialSeal, credentialIDs)).map((c) => [c.credentialId, c]));
  return credentialIDs.flatMap((id) => {
    const c = byId.get(id);
    return c ? [toState(c)] : [];
  });
}

function toState(c: CredentialRecord): CredentialState {
  const info = KEY_INFO[c.keyAlgo];
  return {
    credentialID: c.credentialId,
    ownerId: c.ownerId,
    keyAlgo: c.keyAlgo,
    signAlgos: signAlgosFor(c.keyAlgo, c.pssOnly),
    keyLength: info.length,
    ...(info.curve ? { curve: info.curve } : {}),
    enabled: c.enabled,
    locked: c.lockedAt !== null,
    ...(c.notBefore ? { notBefore: c.notBefore.toISOString() } : {}),
    ...(c.notAfter ? { notAfter: c.notAfter.toISOString() } : {}),
    hasPin: c.pinHash !== null,
    otpChannel: c.otpChannel,
    approval: c.approval,
  };
}
