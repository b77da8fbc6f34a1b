// Fakes for the unit tests of admin/: a SAM and a CredentialService that keep state in memory and record what
// they were asked, and issue real certificates (certs.ts) so that PEM handling is tested on real DER.
// The user store is the real one (authz/users.ts) on the test database.
import { memoryAudit } from '../memory_audit.ts';
import { fakeAuthzSecrets } from '../fake_authz_secrets.ts';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { AdminDeps } from '../../../admin/handlers.ts';
import { adminRoutes } from '../../../admin/http.ts';
import { UserStore } from '../../../authz/users.ts';
import type { Db } from '../../../core/db.ts';
import { CscError } from '../../../core/errors.ts';
import type { CredentialState, SignatureActivation } from '../../../core/sam_port.ts';
import { SamError } from '../../../core/sam_port.ts';
import type { CreateCredentialCommand } from '../../../rssp/app/credential_service.ts';
import type { CreateSealCommand } from '../../../rssp/app/create_seal.ts';
import { organisationOwnerId } from '../../../core/owner.ts';
import type { CredentialRecord } from '../../../rssp/app/credential.ts';
import { captureLogger } from '../../capture_logger.ts';
import { certificate, keyPair, spkiOf, spkiOfCert } from './certs.ts';

export type Call = { method: string; args: Record<string, unknown> };

export class FakeSam implements SignatureActivation {
  calls: Call[] = [];
  states = new Map<string, CredentialState>();
  /** SPKI of each credential's key, to refuse a chain for another key as the real SAM does. */
  spki = new Map<string, Uint8Array>();
  ca!: Uint8Array;
  /** Makes the next call throw this (to test error mapping). */
  failNext?: Error;

  private readonly caKeys = keyPair();

  static async create() {
    const sam = new FakeSam();
    sam.ca = certificate('Test Admin CA', sam.caKeys);
    return sam;
  }

  private record(method: string, args: Record<string, unknown>) {
    this.calls.push({ method, args });
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }

  async deleteCredential(cmd: Parameters<SignatureActivation['deleteCredential']>[0]) {
    this.record('deleteCredential', cmd);
    this.states.delete(cmd.credentialID);
    return { destroyedObjects: 2 };
  }

  async createCredential(cmd: Parameters<SignatureActivation['createCredential']>[0]) {
    this.record('createCredential', cmd);
    const keys = keyPair();
    const cert = certificate(cmd.subject.commonName, keys, { name: 'Test Admin CA', keys: this.caKeys });
    const spki = spkiOf(keys);
    this.spki.set(cmd.credentialID, spki);
    const notBefore = new Date(Date.now() - 60_000).toISOString();
    const notAfter = new Date(Date.now() + 86_400_000).toISOString();
    this.states.set(cmd.credentialID, {
      credentialID: cmd.credentialID,
      ownerId: cmd.ownerId,
      keyAlgo: cmd.algo,
      signAlgos: [],
      keyLength: 256,
      enabled: true,
      locked: false,
      notBefore,
      notAfter,
      hasPin: true,
      otpChannel: cmd.otpChannel ?? 'totp',
      approval: cmd.approval ?? 'inline',
    });
    return { publicKeySpki: spki, certificates: [cert] };
  }

  async createCsr(cmd: Parameters<SignatureActivation['createCsr']>[0]) {
    this.record('createCsr', cmd);
    if (!this.states.has(cmd.credentialID)) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
    return { csr: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]) };
  }

  async installCertificates(cmd: Parameters<SignatureActivation['installCertificates']>[0]) {
    this.record('installCertificates', { ...cmd, certificates: cmd.certificates.length });
    if (!Buffer.from(spkiOfCert(cmd.certificates[0]!)).equals(Buffer.from(this.spki.get(cmd.credentialID) ?? []))) {
      throw new SamError('SAM_CERT_MISMATCH', 'end-entity key differs');
    }
    return { notBefore: new Date().toISOString(), notAfter: new Date().toISOString() };
  }

  async setEnabled(cmd: Parameters<SignatureActivation['setEnabled']>[0]) {
    this.record('setEnabled', cmd);
    const s = this.states.get(cmd.credentialID);
    if (!s) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
    s.enabled = cmd.enabled;
  }

  async unlock(cmd: Parameters<SignatureActivation['unlock']>[0]) {
    this.record('unlock', cmd);
    const s = this.states.get(cmd.credentialID);
    if (!s) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
    s.locked = false;
  }

  async state(ids: string[]) {
    this.record('state', { ids });
    return ids.flatMap((id) => (this.states.has(id) ? [{ ...this.states.get(id)! }] : []));
  }

  async enrollOtp(cmd: Parameters<SignatureActivation['enrollOtp']>[0]) {
    this.record('enrollOtp', cmd);
    const secret = 'JBSWY3DPEHPK3PXP' + randomBytes(5).toString('hex').toUpperCase().replace(/[^A-Z2-7]/g, 'A');
    return { secret, otpauthUri: `otpauth://totp/RSSP:${encodeURIComponent(cmd.accountName)}?secret=${secret}&issuer=RSSP` };
  }

  async activate(): Promise<never> {
    throw new Error('not used by admin');
  }

  async signHash(): Promise<never> {
    throw new Error('not used by admin');
  }

  async getChallenge(cmd: Parameters<SignatureActivation['getChallenge']>[0]) {
    this.record('getChallenge', cmd);
    return { channel: 'email' as const, expiresIn: 300 };
  }
  async extendTransaction(cmd: Parameters<SignatureActivation['extendTransaction']>[0]) {
    this.record('extendTransaction', cmd);
    return { sad: 'extended', expiresIn: 300 };
  }
  async requestApproval(cmd: Parameters<SignatureActivation['requestApproval']>[0]) {
    this.record('requestApproval', cmd);
    return { handle: `handle-${cmd.credentialID}`, expiresIn: 300 };
  }
  async checkApproval(cmd: Parameters<SignatureActivation['checkApproval']>[0]) {
    this.record('checkApproval', cmd);
    return { status: 'approved' as const, sad: 'approved-sad', expiresIn: 300 };
  }
  async approvalView(cmd: Parameters<SignatureActivation['approvalView']>[0]) {
    this.record('approvalView', cmd);
    return null;
  }
  async decideApproval(cmd: Parameters<SignatureActivation['decideApproval']>[0]) {
    this.record('decideApproval', cmd);
    return { state: cmd.approve ? ('approved' as const) : ('refused' as const) };
  }
  async revokeSads(cmd: Parameters<SignatureActivation['revokeSads']>[0]) {
    this.record('revokeSads', cmd);
    return { revoked: 0 };
  }
  async caCertificate() {
    this.record('caCertificate', {});
    return this.ca;
  }
  async crl(): Promise<never> {
    throw new Error('not used by the admin API');
  }
  async timestamp(): Promise<never> {
    throw new Error('not used by the admin API');
  }
  async issueActivation(cmd: Parameters<SignatureActivation['issueActivation']>[0]) {
    this.record('issueActivation', cmd);
    const to = cmd.recipient.email ?? cmd.recipient.phone;
    if (!to) throw new SamError('SAM_NO_RECIPIENT');
    return { channel: cmd.recipient.email ? ('email' as const) : ('sms' as const), to, expiresAt: new Date(Date.now() + 86_400_000).toISOString() };
  }
  async activationView(cmd: Parameters<SignatureActivation['activationView']>[0]) {
    this.record('activationView', cmd);
    return null;
  }
  async redeemActivation(cmd: Parameters<SignatureActivation['redeemActivation']>[0]): Promise<never> {
    this.record('redeemActivation', { token: '(secret)' });
    throw new SamError('SAM_ACTIVATION_INVALID');
  }
  private readonly secrets = fakeAuthzSecrets();
  sealAuthzSecret = this.secrets.sealAuthzSecret;
  openAuthzSecret = this.secrets.openAuthzSecret;
}

/** Stands in for rssp's CredentialService: records in a map, key work delegated to the fake SAM. */
export class FakeCredentials {
  records = new Map<string, CredentialRecord>();
  created: CreateCredentialCommand[] = [];

  constructor(private readonly sam: FakeSam) {}

  async create(ctx: Parameters<FakeSam['createCredential']>[0]['ctx'], cmd: CreateCredentialCommand) {
    this.created.push(cmd);
    const credentialID = randomBytes(18).toString('base64url');
    const keyAlgo = cmd.algo === 'ES256' ? 'EC-P256' : cmd.algo === 'ES384' ? 'EC-P384' : cmd.rsaBits === 3072 ? 'RSA-3072' : 'RSA-2048';
    const { certificates } = await this.sam.createCredential({
      ctx,
      credentialID,
      ownerId: cmd.ownerId,
      algo: keyAlgo,
      pin: cmd.pin,
      scal: cmd.scal ?? '2',
      multisign: cmd.multisign ?? 1,
      subject: { commonName: cmd.ownerId },
    });
    this.records.set(credentialID, {
      credentialID,
      ownerId: cmd.ownerId,
      description: cmd.description ?? null,
      scal: cmd.scal ?? '2',
      authMode: cmd.authMode ?? 'explicit',
      multisign: cmd.multisign ?? 1,
      keyAlgo,
      certificates,
      oneTime: false,
      createdAt: new Date(),
    });
    return { credentialID };
  }

  /** As CredentialService.createSeal: a credential whose owner is the organisation. */
  async createSeal(ctx: Parameters<FakeSam['createCredential']>[0]['ctx'], cmd: CreateSealCommand) {
    const ownerId = organisationOwnerId(cmd.clientId);
    const { credentialID } = await this.create(ctx, { ownerId, algo: cmd.algo, pin: cmd.pin, scal: cmd.scal, multisign: cmd.multisign, description: cmd.description });
    return { credentialID, ownerId };
  }

  async get(id: string) {
    return this.records.get(id) ?? null;
  }

  async listByOwner(ownerId: string) {
    return [...this.records.values()].filter((r) => r.ownerId === ownerId);
  }

  async importChain(ctx: Parameters<FakeSam['createCredential']>[0]['ctx'], credentialID: string, certificates: Uint8Array[]) {
    const r = this.records.get(credentialID);
    if (!r) throw new CscError('credentialNotFound');
    await this.sam.installCertificates({ ctx, credentialID, certificates });
    r.certificates = certificates;
  }

  async csr(ctx: Parameters<FakeSam['createCredential']>[0]['ctx'], credentialID: string) {
    return this.sam.createCsr({ ctx, credentialID });
  }
}

export const ADMIN_TOKEN = 'test-admin-token-' + randomBytes(12).toString('hex');

/** The admin middleware on an ephemeral port, behind which a marker answers every other path. */
export async function startAdmin(db: Db, extra: Partial<AdminDeps> = {}) {
  const sam = await FakeSam.create();
  const credentials = new FakeCredentials(sam);
  const users = new UserStore(db);
  const { log, lines } = captureLogger();
  const deps: AdminDeps = { adminToken: ADMIN_TOKEN, log, sam, users, credentials, audit: memoryAudit(), ...extra };
  const app = new Koa();
  app.use(adminRoutes(deps));
  app.use((ctx) => {
    ctx.body = 'next';
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    sam,
    credentials,
    users,
    lines,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
