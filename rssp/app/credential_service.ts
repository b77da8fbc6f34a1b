// Use cases on credential records: creation (key in the SAM, record here), listing, chain import and CSR
// (issue #2 §4-§6). No Koa and no pg here: the store is a port (credential.ts), the SAM is core/sam_port.ts.
import { CscError } from '../../core/errors.ts';
import { isOrganisationOwner } from '../../core/owner.ts';
import type { UserDirectory } from '../../core/ports.ts';
import type { Approval, OtpChannel, RequestContext, SignatureActivation } from '../../core/sam_port.ts';
import type { AuthMode, CredentialRecord, CredentialRepo, Scal } from './credential.ts';
import { createSeal, type CreateSealCommand } from './create_seal.ts';
import { keyAlgoFor, newCredentialID, type SignatureAlgoName } from './key_algo.ts';

// Moved to key_algo.ts (shared with create_seal.ts); still exported from here for existing importers.
export { keyAlgoFor, newCredentialID, type SignatureAlgoName };


export type CreateCredentialCommand = {
  ownerId: string;
  algo: SignatureAlgoName;
  /** RSA modulus size; only for RS256/RS384/PS256. Default 2048. */
  rsaBits?: 2048 | 3072;
  /** Absent: set by the owner through an activation link (issue #14 finding 1). */
  pin?: string;
  /** Default 1: one authorization, one signature, the strictest reading of sole control. */
  multisign?: number;
  /** Default "2": the SAD is bound to the hashes (DESIGN §2). */
  scal?: Scal;
  /** Default explicit (credentials/authorize). */
  authMode?: AuthMode;
  description?: string;
  /** Where the one-time password comes from (default totp); email/sms need the address in the user record. */
  otpChannel?: OtpChannel;
  /** 'async': approved out of band on the approval page (CSC v2 §11.7); default inline. */
  approval?: Approval;
};

/** Owners remembered by ownerOf; the oldest is forgotten first. */
const MAX_OWNERS = 100_000;

export class CredentialService {
  /** credentialID → ownerId. A credential's owner never changes and records are never deleted, so an answer stays
   *  true; the SAM checks the owner again from its own record before any key use (DESIGN §2.3). */
  private readonly owners = new Map<string, string>();

  constructor(private readonly deps: { repo: CredentialRepo; sam: SignatureActivation; users: UserDirectory }) {}

  async create(ctx: RequestContext, cmd: CreateCredentialCommand): Promise<{ credentialID: string }> {
    const multisign = cmd.multisign ?? 1;
    if (!Number.isSafeInteger(multisign) || multisign < 1) {
      throw new CscError('invalidRequest', { description: 'multisign must be an integer of at least 1' });
    }
    if (cmd.rsaBits !== undefined && cmd.algo.startsWith('ES')) {
      throw new CscError('invalidRequest', { description: 'rsaBits applies to RSA algorithms only' });
    }
    if (cmd.description !== undefined && cmd.description.length > 255) {
      // CSC v2 §11.4: the description is at most 255 characters.
      throw new CscError('invalidRequest', { description: 'description is longer than 255 characters' });
    }
    const user = await this.deps.users.byId(cmd.ownerId);
    if (!user) throw new CscError('userNotFound');
    // A code that cannot be delivered would make the credential unusable: refuse it now, not at first use.
    if (cmd.otpChannel === 'email' && !user.email) {
      throw new CscError('invalidRequest', { description: 'The user has no e-mail address to send one-time passwords to' });
    }
    if (cmd.approval === 'async' && !user.email && !user.phone) {
      throw new CscError('invalidRequest', { description: 'The user has no e-mail address or phone number to send approval links to' });
    }
    if (cmd.otpChannel === 'sms' && !user.phone) {
      throw new CscError('invalidRequest', { description: 'The user has no phone number to send one-time passwords to' });
    }

    const { keyAlgo, pssOnly } = keyAlgoFor(cmd.algo, cmd.rsaBits);
    const credentialID = newCredentialID();
    const scal = cmd.scal ?? '2';
    // The SAM keeps its own copy of both and enforces them (issue #14 finding 4); rssp's copy is what info shows.
    const { certificates } = await this.deps.sam.createCredential({
      ctx,
      credentialID,
      ownerId: user.id,
      algo: keyAlgo,
      pssOnly,
      pin: cmd.pin,
      subject: this.subjectOf(user),
      ...(cmd.otpChannel ? { otpChannel: cmd.otpChannel } : {}),
      ...(cmd.approval ? { approval: cmd.approval } : {}),
      scal,
      multisign,
    });
    await this.deps.repo.insert({
      credentialID,
      ownerId: user.id,
      description: cmd.description ?? null,
      scal,
      authMode: cmd.authMode ?? 'explicit',
      multisign,
      keyAlgo,
      certificates,
    });
    return { credentialID };
  }

  /** An e-seal credential owned by an organisation (create_seal.ts). */
  createSeal(ctx: RequestContext, cmd: CreateSealCommand): Promise<{ credentialID: string; ownerId: string }> {
    return createSeal(this.deps, ctx, cmd);
  }

  get(credentialID: string): Promise<CredentialRecord | null> {
    return this.deps.repo.get(credentialID);
  }

  /** The owner of a credential, null for an unknown id; from memory after the first look-up (signHash's hot path). */
  async ownerOf(credentialID: string): Promise<string | null> {
    const known = this.owners.get(credentialID);
    if (known !== undefined) return known;
    const record = await this.deps.repo.get(credentialID);
    if (!record) return null;
    if (this.owners.size >= MAX_OWNERS) this.owners.delete(this.owners.keys().next().value!);
    this.owners.set(credentialID, record.ownerId);
    return record.ownerId;
  }

  listByOwner(ownerId: string): Promise<CredentialRecord[]> {
    return this.deps.repo.listByOwner(ownerId);
  }

  /** Binds a chain issued by an external CA. The SAM refuses a chain whose end-entity key is not the
   *  credential's or whose links do not verify; only then is the published chain replaced. */
  async importChain(ctx: RequestContext, credentialID: string, certificates: Uint8Array[]): Promise<void> {
    if (certificates.length === 0) throw new CscError('invalidCertificates');
    await this.require(credentialID);
    await this.deps.sam.installCertificates({ ctx, credentialID, certificates });
    if (!(await this.deps.repo.replaceCertificates(credentialID, certificates))) throw new CscError('credentialNotFound');
  }

  /** PKCS#10 request signed by the credential's key, with the owner's name as subject. */
  async csr(ctx: RequestContext, credentialID: string): Promise<{ csr: Uint8Array }> {
    const record = await this.require(credentialID);
    // An organisation is no user: its seal's request keeps the subject of the certificate the SAM holds.
    const user = isOrganisationOwner(record.ownerId) ? null : await this.deps.users.byId(record.ownerId);
    return this.deps.sam.createCsr({ ctx, credentialID, subject: user ? this.subjectOf(user) : undefined });
  }

  private async require(credentialID: string): Promise<CredentialRecord> {
    const record = await this.deps.repo.get(credentialID);
    if (!record) throw new CscError('credentialNotFound');
    return record;
  }

  private subjectOf(user: { username: string; name: string | null; email: string | null }) {
    return { commonName: user.name ?? user.username, ...(user.email ? { email: user.email } : {}) };
  }
}
