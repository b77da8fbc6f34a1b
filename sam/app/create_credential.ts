// Creating a credential (issue #2 §4–5): a key pair generated inside the token, certified by the configured CA,
// bound to its owner with a PIN kept only as a slow hash.
import { hashSecret } from '../../core/slow_hash.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { checkChain } from '../ca/chain.ts';
import { subjectName } from '../ca/names.ts';
import { writeAudit } from '../audit/audit_log.ts';
import { getCredential, insertCredential } from '../store/credentials.ts';
import type { SamDeps } from './deps.ts';
import { hsmCall, mapHsmErrors } from './hsm_errors.ts';

type CreateCmd = Parameters<SignatureActivation['createCredential']>[0];

export async function createCredential(deps: SamDeps, cmd: CreateCmd): Promise<{ publicKeySpki: Uint8Array; certificates: Uint8Array[] }> {
  // No PIN: the credential waits for its owner's activation link (sam/app/activation_link.ts) and cannot be activated
  // before (factors/check_factors.ts). An empty PIN is a mistake, not a request for that.
  if (cmd.pin !== undefined && !cmd.pin) throw new SamError('SAM_FACTORS_MISSING', 'an empty PIN');
  if (cmd.scal !== '1' && cmd.scal !== '2') throw new SamError('SAM_CREDENTIAL_POLICY_INVALID', 'SCAL must be "1" or "2"');
  if (!Number.isSafeInteger(cmd.multisign) || cmd.multisign < 1) throw new SamError('SAM_CREDENTIAL_POLICY_INVALID', 'multisign must be a positive integer');
  // Refuse a malformed subject before a key is generated for nothing (throws TypeError).
  subjectName(cmd.subject);
  // Checked again by the CA when it issues; here so that no key is generated for a certificate it will not make.
  // authz refuses such a request at oauth2/authorize already: reaching this means the two lists differ (split mode).
  if (cmd.certificatePolicy !== undefined && !(deps.ca.certificatePolicies ?? []).includes(cmd.certificatePolicy)) {
    throw new SamError('SAM_CREDENTIAL_POLICY_INVALID', `the CA does not issue under certificate policy ${cmd.certificatePolicy}`);
  }
  if (await getCredential(deps.db, deps.credentialSeal, cmd.credentialID)) throw new SamError('SAM_CREDENTIAL_EXISTS');
  const pair = await hsmCall(() => deps.hsm.generateKeyPair({ algo: cmd.algo, label: cmd.credentialID }));
  const ee = await mapHsmErrors(() =>
    deps.ca.issue({
      spki: pair.spki,
      subject: cmd.subject,
      ...(cmd.validitySeconds !== undefined ? { validitySeconds: cmd.validitySeconds } : {}),
      ...(cmd.certificatePolicy !== undefined ? { certificatePolicy: cmd.certificatePolicy } : {}),
    }),
  );
  const certificates = [ee, deps.ca.certificate];
  // The CA is ours, but the chain is still checked: a certificate for another key must never be bound.
  const validity = checkChain(certificates, pair.spki, deps.now());
  const pinHash = cmd.pin === undefined ? null : await hashSecret(cmd.pin, deps.config.pinHash);
  try {
    await insertCredential(deps.db, deps.credentialSeal, {
      credentialId: cmd.credentialID,
      ownerId: cmd.ownerId,
      keyId: pair.keyId,
      keyAlgo: cmd.algo,
      pssOnly: cmd.algo.startsWith('RSA-') && cmd.pssOnly === true,
      spki: pair.spki,
      pinHash,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      otpChannel: cmd.otpChannel ?? 'totp',
      approval: cmd.approval ?? 'inline',
      scal: cmd.scal,
      multisign: cmd.multisign,
      oneTime: cmd.oneTime === true,
    });
  } catch (err) {
    // Two creations racing for one id: the loser's key stays unused in the token.
    if ((err as { code?: string }).code === '23505') throw new SamError('SAM_CREDENTIAL_EXISTS');
    throw err;
  }
  if (cmd.origin === 'csc') {
    await writeAudit(deps.db, {
      event: 'credential.create', ctx: cmd.ctx, userId: cmd.ownerId, credentialId: cmd.credentialID,
      detail: {
        keyAlgo: cmd.algo,
        oneTime: cmd.oneTime === true,
        notAfter: validity.notAfter.toISOString(),
        ...(cmd.certificatePolicy !== undefined ? { certificatePolicy: cmd.certificatePolicy } : {}),
      },
    }, 'ok');
  }
  deps.log.info(
    { event: 'sam.credential.create', credentialID: cmd.credentialID, ownerId: cmd.ownerId, algo: cmd.algo, requestId: cmd.ctx.requestId },
    'credential created',
  );
  return { publicKeySpki: pair.spki, certificates };
}
