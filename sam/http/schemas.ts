// What the SAM accepts on each method of its port when it runs as its own process (split mode, DESIGN §4). The
// caller is our own api tier, authenticated by its TLS certificate, but the SAM trusts no caller's shapes: every
// call is checked here before a use case sees it, and every SCAL2 rule is enforced after, as in-process.
import { z } from 'zod';
import type { AuditFilter, AuditTrail, SecurityEntry } from '../../core/audit_port.ts';
import { DOTTED_OID } from '../../core/oid.ts';
import type { SignatureActivation } from '../../core/sam_port.ts';

const bytes = z.instanceof(Uint8Array);
const id = z.string().min(1).max(256);
const ctx = z.object({ requestId: z.string().min(1).max(128), sourceIp: z.string().max(128).optional(), userAgent: z.string().max(1024).optional() });
const factors = z.object({ pin: z.string().max(1024).optional(), otp: z.string().max(64).optional() });
const hashes = z.array(bytes).max(100_000).optional();
const oid = z.string().min(1).max(128).optional();
const subject = z.object({ commonName: z.string().min(1).max(256), email: z.string().max(256).optional(), organization: z.string().min(1).max(256).optional() });
const recipient = z.object({ username: id, email: z.string().max(256).nullish(), phone: z.string().max(64).nullish() });
const nums = z.number().int().min(1).max(1_000_000);
/** A row of authz.oauth_keys: its kid is a UUID, its use one of two. */
const authzSecretRef = { kid: id, use: z.enum(['sig', 'cookie']) };

type PortInput = { [K in keyof SignatureActivation]: Parameters<SignatureActivation[K]> };

/** Each port method's arguments as one JSON object; `state` takes its list as { credentialIDs }. */
export const PORT_METHODS: { [K in keyof SignatureActivation]: { input: z.ZodType<unknown>; args(v: any): PortInput[K] } } = {
  createCredential: {
    input: z.object({
      ctx, credentialID: id, ownerId: id, algo: z.enum(['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072']), pssOnly: z.boolean().optional(),
      pin: z.string().max(1024).optional(), subject, otpChannel: z.enum(['totp', 'email', 'sms']).optional(), approval: z.enum(['inline', 'async']).optional(),
      scal: z.enum(['1', '2']), multisign: nums,
      oneTime: z.boolean().optional(), validitySeconds: z.number().int().min(60).max(31_622_400).optional(), origin: z.literal('csc').optional(),
      certificatePolicy: z.string().regex(DOTTED_OID).optional(),
    }),
    args: (v) => [v],
  },
  deleteCredential: { input: z.object({ ctx, credentialID: id, ownerId: id.optional() }), args: (v) => [v] },
  createCsr: { input: z.object({ ctx, credentialID: id, subject: subject.optional() }), args: (v) => [v] },
  installCertificates: { input: z.object({ ctx, credentialID: id, certificates: z.array(bytes).min(1).max(16) }), args: (v) => [v] },
  setEnabled: { input: z.object({ ctx, credentialID: id, enabled: z.boolean() }), args: (v) => [v] },
  unlock: { input: z.object({ ctx, credentialID: id }), args: (v) => [v] },
  state: { input: z.object({ credentialIDs: z.array(id).max(10_000) }), args: (v) => [v.credentialIDs] },
  enrollOtp: { input: z.object({ ctx, userId: id, accountName: z.string().min(1).max(256) }), args: (v) => [v] },
  activate: {
    input: z.object({ ctx, userId: id, clientId: id, credentialID: id, numSignatures: nums, hashes, hashAlgorithmOID: oid, factors }),
    args: (v) => [v],
  },
  signHash: {
    input: z.object({
      ctx, sad: z.string().min(1).max(8192), userId: id, clientId: id, credentialID: id, hashes: z.array(bytes).min(1).max(100_000),
      hashAlgorithmOID: oid, signAlgo: z.string().min(1).max(128), signAlgoParams: bytes.optional(),
      signInputs: z.array(z.object({ hash: bytes, cmsSignedAttributes: bytes.optional() })).max(100_000).optional(),
    }),
    args: (v) => [v],
  },
  getChallenge: { input: z.object({ ctx, userId: id, clientId: id, credentialID: id, recipient }), args: (v) => [v] },
  extendTransaction: {
    input: z.object({ ctx, sad: z.string().min(1).max(8192), userId: id, clientId: id, credentialID: id, hashes, hashAlgorithmOID: oid }),
    args: (v) => [v],
  },
  requestApproval: {
    input: z.object({
      ctx, userId: id, clientId: id, credentialID: id, numSignatures: nums, hashes, hashAlgorithmOID: oid,
      description: z.string().max(4096).optional(), recipient, linkBase: z.string().min(1).max(2048),
    }),
    args: (v) => [v],
  },
  checkApproval: { input: z.object({ ctx, handle: z.string().min(1).max(512), userId: id, clientId: id }), args: (v) => [v] },
  approvalView: { input: z.object({ link: z.string().min(1).max(512) }), args: (v) => [v] },
  decideApproval: { input: z.object({ ctx, link: z.string().min(1).max(512), approve: z.boolean(), factors }), args: (v) => [v] },
  revokeSads: { input: z.object({ ctx, userId: id, clientId: id }), args: (v) => [v] },
  caCertificate: { input: z.object({}), args: () => [] },
  crl: { input: z.object({}), args: () => [] },
  issueActivation: {
    input: z.object({ ctx, userId: id, credentialIDs: z.array(id).min(1).max(100), accountName: id, recipient, linkBase: z.string().min(1).max(2048) }),
    args: (v) => [v],
  },
  activationView: { input: z.object({ token: z.string().min(1).max(512) }), args: (v) => [v] },
  timestamp: {
    input: z.object({ ctx, userId: id, clientId: id, hash: bytes, hashAlgorithmOID: z.string().min(1).max(128), nonce: z.string().max(128).optional() }),
    args: (v) => [v],
  },
  redeemActivation: {
    input: z.object({ ctx, token: z.string().min(1).max(512), pin: z.string().max(1024), otp: z.string().max(64).optional() }),
    args: (v) => [v],
  },
  // A JWK or a cookie key is a few hundred bytes; the bounds only keep the call small.
  sealAuthzSecret: { input: z.object({ ...authzSecretRef, plaintext: bytes.refine((b) => b.length > 0 && b.length <= 16_384) }), args: (v) => [v] },
  openAuthzSecret: { input: z.object({ ...authzSecretRef, sealed: z.string().min(1).max(32_768) }), args: (v) => [v] },
};

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const AUDIT_INPUT = {
  record: z.object({
    event: z.enum(['signin', 'token.issue', 'token.refresh', 'token.revoke', 'ratelimit', 'admin']),
    result: z.enum(['ok', 'refused', 'error']),
    errorCode: z.string().max(128).optional(),
    ctx,
    userId: id.optional(),
    clientId: id.optional(),
    credentialID: id.optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }) satisfies z.ZodType<SecurityEntry>,
  export: z.object({ userId: id.optional(), credentialID: id.optional(), from: isoDate.optional(), to: isoDate.optional() }) satisfies z.ZodType<AuditFilter>,
  evidence: z.object({ userId: id, credentialID: id, hash: z.string().max(256).optional(), sadId: z.string().max(256).optional() }) satisfies z.ZodType<
    Parameters<AuditTrail['evidence']>[0]
  >,
};
