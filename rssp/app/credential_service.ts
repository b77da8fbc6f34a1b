// Use cases on credential records: creation (key in the SAM, record here), listing, chain import and CSR
// (issue #2 §4-§6). No Koa and no pg here: the store is a port (credential.ts), the SAM is core/sam_port.ts.
import { CscError } from '../../core/errors.ts';
import { isOrganisationOwner } from '../../core/owner.ts';
import type { UserDirectory } from '../../core/ports.ts';
import type { Approval, OtpChannel, RequestContext, SignatureActivation } from '../../core/sam_port.ts';
import type { AuthMode, CredentialRecord, CredentialRepo, Scal } from './credential.ts';
import { subjectNames } from '../../core/cert_info.ts';
import { createSeal, type CreateSealCommand } from './create_seal.ts';
import { keyAlgoFor, newCredentialID, type SignatureAlgoName } from './key_algo.ts';

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
  /** A one-time credential (CSC v2.2): one transaction, then deleted by the SAM (or at its certificate's expiry). */
  oneTime?: boolean;
  /** Lifetime of the certificate in seconds instead of the CA's default. */
  validitySeconds?: number;
  /** The certificate policy OID approved in a CSC v2.2 credential_creation authorization (AccessGrant). */
  certificatePolicy?: string;
  /** 'csc': asked for by the owner through credentials/create (the SAM audits it as credential.create). */
  origin?: 'csc';
};

/** Owners (and approval modes) remembered by ownerOf (approvalOf); the oldest is forgotten first. */
const MAX_OWNERS = 100_000;

/** Remembers `value` under `key` in a map of at most MAX_OWNERS entries, forgetting the oldest first. */
function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= MAX_OWNERS) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/** The subject of a seal's certificate, as issued at seal creation (rssp/app/create_seal.ts). */
function sealSubject(record: CredentialRecord): { commonName: string; organization?: string } | undefined {
  const leaf = record.certificates[0];
  if (!leaf) return undefined;
  const { commonName, organization } = subjectNames(leaf);
  return commonName === undefined ? undefined : { commonName, ...(organization === undefined ? {} : { organization }) };
}

export class CredentialService {
  /** credentialID → ownerId. A credential's owner never changes and records are only ever marked deleted, so an
   *  answer stays true; a deleted credential's key is gone from the SAM, which checks the owner again from its own
   *  record before any key use and refuses an unknown one (DESIGN §2.3). */
  private readonly owners = new Map<string, string>();
  /** credentialID → how its authorizations are approved. Set when the SAM creates the credential and never changed
   *  (no statement updates sam.credentials.approval), so an answer stays true too. */
  private readonly approvals = new Map<string, Approval>();

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
      ...(cmd.oneTime ? { oneTime: true } : {}),
      ...(cmd.validitySeconds !== undefined ? { validitySeconds: cmd.validitySeconds } : {}),
      ...(cmd.certificatePolicy !== undefined ? { certificatePolicy: cmd.certificatePolicy } : {}),
      ...(cmd.origin ? { origin: cmd.origin } : {}),
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
      oneTime: cmd.oneTime === true,
    });
    return { credentialID };
  }

  /** An e-seal credential owned by an organisation (create_seal.ts). */
  createSeal(ctx: RequestContext, cmd: CreateSealCommand): Promise<{ credentialID: string; ownerId: string }> {
    return createSeal(this.deps, ctx, cmd);
  }

  /** CSC v2.2 credentials/delete: the SAM destroys the key and its binding first (and refuses another owner), then
   *  the record is marked deleted. A record whose SAM binding is already gone (a spent one-time credential) is
   *  marked deleted too and answered as unknown, as it is to every other method. */
  async delete(ctx: RequestContext, credentialID: string, ownerId: string): Promise<void> {
    try {
      await this.deps.sam.deleteCredential({ ctx, credentialID, ownerId });
    } catch (err) {
      if ((err as { code?: string }).code === 'SAM_CREDENTIAL_UNKNOWN') await this.forget(credentialID);
      throw err;
    }
    await this.forget(credentialID);
  }

  /** The record, unless it was deleted. A one-time credential may have been deleted by the SAM after its
   *  transaction or at expiry without rssp being told: the SAM's state says so, and the record follows. */
  async get(credentialID: string): Promise<CredentialRecord | null> {
    const record = await this.deps.repo.get(credentialID);
    if (!record?.oneTime) return record;
    return (await this.withoutSpent([record]))[0] ?? null;
  }

  private async withoutSpent(records: CredentialRecord[]): Promise<CredentialRecord[]> {
    const oneTime = records.filter((r) => r.oneTime).map((r) => r.credentialID);
    if (!oneTime.length) return records;
    const alive = new Set((await this.deps.sam.state(oneTime)).map((s) => s.credentialID));
    for (const id of oneTime) if (!alive.has(id)) await this.forget(id);
    return records.filter((r) => !r.oneTime || alive.has(r.credentialID));
  }

  private async forget(credentialID: string): Promise<void> {
    this.owners.delete(credentialID);
    this.approvals.delete(credentialID);
    await this.deps.repo.markDeleted(credentialID);
  }

  /** The owner of a credential, null for an unknown id; from memory after the first look-up (signHash's hot path). */
  async ownerOf(credentialID: string): Promise<string | null> {
    const known = this.owners.get(credentialID);
    if (known !== undefined) return known;
    const record = await this.deps.repo.get(credentialID);
    if (!record) return null;
    return remember(this.owners, credentialID, record.ownerId);
  }

  /** How the SAM approves authorizations of a credential (CSC v2 §11.7 out of band: 'async'), null when it does not
   *  know the credential; from memory after the first answer (one SAM call fewer per credentials/authorize). */
  async approvalOf(credentialID: string): Promise<Approval | null> {
    const known = this.approvals.get(credentialID);
    if (known !== undefined) return known;
    const [state] = await this.deps.sam.state([credentialID]);
    if (!state) return null;
    return remember(this.approvals, credentialID, state.approval);
  }

  async listByOwner(ownerId: string): Promise<CredentialRecord[]> {
    return this.withoutSpent(await this.deps.repo.listByOwner(ownerId));
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
    // An organisation is no user: its seal's request names the legal person of the seal's certificate (O and CN).
    if (isOrganisationOwner(record.ownerId)) return this.deps.sam.createCsr({ ctx, credentialID, subject: sealSubject(record) });
    const user = await this.deps.users.byId(record.ownerId);
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
