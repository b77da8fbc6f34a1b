// Creating an e-seal credential (CSC v2 §8.5): a key in the HSM owned by an organisation (an OAuth client marked as
// seal owner, authz/oauth/clients.ts), certified for the legal person — organizationName and the name it uses for
// itself, no personal name (ETSI EN 319 412-3). Whether the client is a seal owner is the caller's check (admin/),
// since the client registry is authz's.
import { CscError } from '../../core/errors.ts';
import { organisationOwnerId } from '../../core/owner.ts';
import type { RequestContext, SignatureActivation } from '../../core/sam_port.ts';
import type { CredentialRepo, Scal } from './credential.ts';
import { keyAlgoFor, newCredentialID, type SignatureAlgoName } from './key_algo.ts';

export type CreateSealCommand = {
  /** The organisation: the OAuth client that will authenticate with the client credentials grant. */
  clientId: string;
  /** organizationName of the certificate. */
  organization: string;
  /** commonName of the certificate; default the organisation's name. */
  commonName?: string;
  algo: SignatureAlgoName;
  rsaBits?: 2048 | 3072;
  /** The seal's PIN, held by the organisation's sealing system. Absent: chosen by the organisation on an
   *  activation link (admin seal:activation); until then the seal cannot be activated. */
  pin?: string;
  /** "1": one PIN activation covers a batch of up to multisign signatures (sam/app/seal_batch.ts); "2" (default):
   *  every batch is bound to its hashes and needs the PIN and the organisation's TOTP. */
  scal?: Scal;
  /** Most signatures per activation. Default 1. */
  multisign?: number;
  description?: string;
};

export async function createSeal(
  deps: { repo: CredentialRepo; sam: SignatureActivation },
  ctx: RequestContext,
  cmd: CreateSealCommand,
): Promise<{ credentialID: string; ownerId: string }> {
  const multisign = cmd.multisign ?? 1;
  if (!Number.isSafeInteger(multisign) || multisign < 1) throw new CscError('invalidRequest', { description: 'multisign must be an integer of at least 1' });
  if (cmd.rsaBits !== undefined && cmd.algo.startsWith('ES')) throw new CscError('invalidRequest', { description: 'rsaBits applies to RSA algorithms only' });
  if (cmd.description !== undefined && cmd.description.length > 255) {
    throw new CscError('invalidRequest', { description: 'description is longer than 255 characters' });
  }
  const ownerId = organisationOwnerId(cmd.clientId);
  const { keyAlgo, pssOnly } = keyAlgoFor(cmd.algo, cmd.rsaBits);
  const credentialID = newCredentialID();
  const scal = cmd.scal ?? '2';
  const subject = { organization: cmd.organization, commonName: cmd.commonName ?? cmd.organization };
  const { certificates } = await deps.sam.createCredential({
    ctx,
    credentialID,
    ownerId,
    algo: keyAlgo,
    pssOnly,
    pin: cmd.pin,
    subject,
    // The possession factor of a SCAL 2 seal is the organisation's TOTP (admin seal:otp); a code sent by e-mail or
    // SMS would need a person to read it, which a sealing system is not.
    otpChannel: 'totp',
    approval: 'inline',
    scal,
    multisign,
  });
  // Seals are authorized by credentials/authorize: the organisation has no browser for the OAuth signature page.
  await deps.repo.insert({ credentialID, ownerId, description: cmd.description ?? null, scal, authMode: 'explicit', multisign, keyAlgo, certificates });
  return { credentialID, ownerId };
}
