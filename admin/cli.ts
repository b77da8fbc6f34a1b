// `npm run admin -- <command> [--flags]`: the operator's client of the admin API (admin/README.md). It holds no
// logic of its own beyond argument parsing: every rule is enforced by the server, so the CLI and a script calling
// the API directly get the same answers.
//
// Output contract: the API's JSON on stdout (PEM for csr and ca:cert) and exit 0; on failure one line on stderr
// and exit 1 (2 for a usage error).
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import QRCode from 'qrcode';
import { AuditExportVerifier, parseAnchors, type AuditCheckpointLine, type AuditLine } from '../core/audit_chain.ts';
import { makeDevTls } from '../core/dev_tls.ts';
// The signing client's terminal prompt: no echo for secrets.
import { ask } from '../client/prompt.ts';

/** `multi`: the flag may be repeated; the values reach `run` joined by newlines. `secret`: never taken from the
 *  command line, where it would show in `ps`, shell history and CI logs (issue #14 finding 1): asked for without echo
 *  on a terminal, else read as one line of standard input (several secrets: one line each, in the order listed). */
type Flag = {
  name: string;
  required?: boolean;
  int?: boolean;
  multi?: boolean;
  /** `unless`: not asked for when this returns true for the other flags (credential:create --pin-by activation). */
  secret?: { prompt: string; unless?: (flags: Record<string, string>) => boolean };
  help: string;
};

type Command = {
  summary: string;
  flags: Flag[];
  run(f: Record<string, string>, api: Api): Promise<void>;
};

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `raw`: the body as text; 'stream': the body as a Node stream (the audit export, of any size). */
type Api = (method: string, path: string, body?: unknown, raw?: boolean | 'stream') => Promise<Record<string, unknown>>;

const enc = encodeURIComponent;
const printJson = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

const COMMANDS: Record<string, Command> = {
  'user:create': {
    summary: 'create a user who can log in (auth/login) and own credentials',
    flags: [
      { name: 'username', required: true, help: '3 to 64 characters among A-Z a-z 0-9 . _ @ -' },
      { name: 'password', required: true, secret: { prompt: 'Password for the new user: ' }, help: 'at least 8 characters (asked for, or one line of stdin)' },
      { name: 'name', help: 'full name, used as the certificate common name' },
      { name: 'email', help: 'e-mail address, put into certificates' },
      { name: 'phone', help: 'telephone number' },
    ],
    async run(f, api) {
      printJson(await api('POST', '/admin/users', { username: f.username, password: f.password, name: f.name, email: f.email, phone: f.phone }));
    },
  },
  'otp:enroll': {
    summary: "create (or replace) the user's TOTP seed; prints the secret, and a QR code on stderr",
    flags: [{ name: 'username', required: true, help: 'the user' }],
    async run(f, api) {
      const res = await api('POST', `/admin/users/${enc(f.username!)}/otp`);
      printJson(res);
      if (typeof res.otpauthUri === 'string') {
        process.stderr.write(await QRCode.toString(res.otpauthUri, { type: 'terminal', small: true }));
      }
    },
  },
  'credential:create': {
    summary: 'generate a key in the HSM for the user and certify it',
    flags: [
      { name: 'username', required: true, help: 'owner of the credential' },
      { name: 'algo', required: true, help: 'ES256 | ES384 | RS256 | RS384 | PS256' },
      { name: 'rsa-bits', int: true, help: '2048 | 3072 (RSA only, default 2048)' },
      {
        name: 'pin',
        required: true,
        secret: { prompt: 'PIN of the new credential: ', unless: (f) => f['pin-by'] === 'activation' },
        help: 'the PIN the user will type to authorize signatures, 4 to 16 digits (asked for, or one line of stdin; not with --pin-by activation)',
      },
      { name: 'pin-by', help: 'admin (default) | activation: no PIN now, the user chooses it on an activation link (activation:issue); production allows only activation' },
      { name: 'multisign', int: true, help: 'signatures one authorization may produce (default 1)' },
      { name: 'scal', help: '1 | 2 (default 2: each authorization is bound to the hashes)' },
      { name: 'auth', help: 'explicit | oauth2code (default explicit)' },
      { name: 'description', help: 'free text shown to signature applications (at most 255 characters)' },
      { name: 'otp', help: 'totp | email | sms: where the one-time password comes from (default totp)' },
      { name: 'approval', help: 'inline | async: async answers authorize with 202 and sends the user an approval link' },
    ],
    async run(f, api) {
      if (f['pin-by'] !== undefined && f['pin-by'] !== 'admin' && f['pin-by'] !== 'activation') throw new CliError('--pin-by must be admin or activation', 2);
      printJson(
        await api('POST', `/admin/users/${enc(f.username!)}/credentials`, {
          activation: f['pin-by'] === 'activation' ? true : undefined,
          otp: f.otp,
          approval: f.approval,
          algo: f.algo,
          rsaBits: num(f['rsa-bits']),
          pin: f.pin,
          multisign: num(f.multisign),
          scal: f.scal,
          authMode: f.auth,
          description: f.description,
        }),
      );
    },
  },
  'activation:issue': {
    summary: "send the user a single-use activation link to choose their PIN and enrol their authenticator (the link is never shown here)",
    flags: [
      { name: 'username', required: true, help: 'the user' },
      { name: 'credential', multi: true, help: 'credential ID the link covers (repeatable; default: all of the user\'s credentials)' },
    ],
    async run(f, api) {
      printJson(
        await api('POST', `/admin/users/${enc(f.username!)}/activation`, f.credential === undefined ? {} : { credentialIDs: f.credential.split('\n') }),
      );
    },
  },
  'outbox:show': {
    summary: 'development outbox: the e-mails and SMS (one-time passwords) the service would have sent',
    flags: [{ name: 'username', help: 'only the messages for this user' }],
    async run(f, api) {
      printJson(await api('POST', '/admin/outbox', { username: f.username }));
    },
  },
  'credential:list': {
    summary: "list the user's credentials with their state",
    flags: [{ name: 'username', required: true, help: 'owner of the credentials' }],
    async run(f, api) {
      printJson(await api('GET', `/admin/users/${enc(f.username!)}/credentials`));
    },
  },
  'credential:disable': {
    summary: 'refuse every authorization and signature with the credential until enabled again',
    flags: [{ name: 'id', required: true, help: 'credentialID' }],
    async run(f, api) {
      printJson(await api('POST', `/admin/credentials/${enc(f.id!)}/disable`));
    },
  },
  'credential:enable': {
    summary: 'enable a disabled credential',
    flags: [{ name: 'id', required: true, help: 'credentialID' }],
    async run(f, api) {
      printJson(await api('POST', `/admin/credentials/${enc(f.id!)}/enable`));
    },
  },
  'credential:unlock': {
    summary: 'clear the lockout after too many wrong PINs or OTPs',
    flags: [{ name: 'id', required: true, help: 'credentialID' }],
    async run(f, api) {
      printJson(await api('POST', `/admin/credentials/${enc(f.id!)}/unlock`));
    },
  },
  'credential:csr': {
    summary: 'print a PKCS#10 request (PEM) signed by the credential key, for an external CA',
    flags: [{ name: 'id', required: true, help: 'credentialID' }],
    async run(f, api) {
      const res = await api('POST', `/admin/credentials/${enc(f.id!)}/csr`);
      process.stdout.write(String(res.csr));
    },
  },
  'credential:import-cert': {
    summary: "bind a certificate chain issued elsewhere (PEM bundle, end-entity first) to the credential's key",
    flags: [
      { name: 'id', required: true, help: 'credentialID' },
      { name: 'chain', required: true, help: 'file with the PEM certificates, end-entity first' },
    ],
    async run(f, api) {
      let chain: string;
      try {
        chain = readFileSync(f.chain!, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${f.chain}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      printJson(await api('PUT', `/admin/credentials/${enc(f.id!)}/certificates`, { chain }));
    },
  },
  'audit:export': {
    summary: 'print the audit trail as JSON Lines, with the signed checkpoints needed to verify it',
    flags: [
      { name: 'username', help: "only this user's records" },
      { name: 'credential', help: "only this credential's records" },
      { name: 'from', help: 'only records at or after this time (ISO 8601)' },
      { name: 'to', help: 'only records at or before this time (ISO 8601)' },
    ],
    async run(f, api) {
      const { stream } = await api('POST', '/admin/audit/export', { username: f.username, credentialID: f.credential, from: f.from, to: f.to }, 'stream');
      for await (const chunk of stream as Readable) {
        if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
      }
    },
  },
  'tls:dev': {
    summary: 'offline: make a development CA and the certificates of split mode (SAM server, api client) into a folder',
    flags: [
      { name: 'out', required: true, help: 'folder to write ca.pem, sam.pem, sam-key.pem, api.pem, api-key.pem into' },
      { name: 'host', multi: true, help: 'a name or address of the SAM in SAM_URL (repeat; default localhost, 127.0.0.1, sam)' },
    ],
    async run(f) {
      const hosts = f.host ? f.host.split('\n') : ['localhost', '127.0.0.1', 'sam'];
      const tls = makeDevTls({ samHosts: hosts });
      mkdirSync(f.out!, { recursive: true, mode: 0o700 });
      const files: Array<[string, string, number]> = [
        ['ca.pem', tls.ca, 0o644],
        ['sam.pem', tls.sam.cert, 0o644],
        ['sam-key.pem', tls.sam.key, 0o600],
        ['api.pem', tls.api.cert, 0o644],
        ['api-key.pem', tls.api.key, 0o600],
      ];
      for (const [name, text, mode] of files) writeFileSync(path.join(f.out!, name), text, { mode, flag: 'wx' });
      printJson({ out: path.resolve(f.out!), files: files.map(([n]) => n), samHosts: hosts });
    },
  },
  'audit:verify': {
    summary: 'check the chain and the checkpoint signatures of the audit trail (the live one, or an export); exit 0 only when intact',
    flags: [
      { name: 'file', help: 'a file written by audit:export (default: export the live trail now)' },
      { name: 'kid', help: 'accept only checkpoints signed by this key (its thumbprint, as the service reports it)' },
      { name: 'anchors', help: 'the checkpoint copies kept outside the database (AUDIT_ANCHOR_FILE): each must still be in the trail' },
      { name: 'tsa-cert', help: 'PEM certificate(s) trusted for checkpoint timestamps: the TSA\'s own or its CA\'s (default: those the export names)' },
    ],
    async run(f, api) {
      let trustedTsaCertificates: string[] | undefined;
      if (f['tsa-cert'] !== undefined) {
        try {
          trustedTsaCertificates = [...readFileSync(f['tsa-cert'], 'utf8').matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));
        } catch (err) {
          throw new CliError(`cannot read ${f['tsa-cert']}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        if (trustedTsaCertificates.length === 0) throw new CliError(`${f['tsa-cert']} holds no PEM certificate`);
      }
      let anchors: AuditCheckpointLine[] | undefined;
      if (f.anchors !== undefined) {
        try {
          anchors = parseAnchors(readFileSync(f.anchors, 'utf8'));
        } catch (err) {
          throw new CliError(`cannot read the anchors ${f.anchors}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      let input: Readable;
      if (f.file !== undefined) {
        input = createReadStream(f.file, 'utf8');
        // Opening errors (missing file) surface on the first read: wait for the file to open, or fail now.
        await new Promise<void>((resolve, reject) => {
          input.once('ready', () => resolve());
          input.once('error', (err: NodeJS.ErrnoException) => reject(new CliError(`cannot read ${f.file}: ${err.code ?? err.message}`)));
        });
      } else {
        input = (await api('POST', '/admin/audit/export', {}, 'stream')).stream as Readable;
      }
      // Line by line: an export larger than memory as text is verified all the same (core/audit_chain.ts).
      let verifier: AuditExportVerifier | null = null;
      let n = 0;
      for await (const text of createInterface({ input, crlfDelay: Infinity })) {
        n++;
        if (text.trim() === '') continue;
        let line: AuditLine;
        try {
          line = JSON.parse(text) as AuditLine;
        } catch {
          throw new CliError(`not an audit export: line ${n} is not JSON`);
        }
        if (!verifier) {
          const header = line.type === 'header' ? line : undefined;
          const trustedKeys = f.kid !== undefined ? (header?.keys ?? []).filter((k) => k.kid === f.kid) : undefined;
          verifier = new AuditExportVerifier({ trustedKeys, anchors, trustedTsaCertificates });
        }
        verifier.push(line);
      }
      const verdict = (verifier ?? new AuditExportVerifier({ anchors, trustedTsaCertificates })).finish();
      printJson(verdict);
      if (!verdict.intact) throw new CliError(`audit trail NOT intact: ${verdict.problems[0]!.message}`);
    },
  },
  'client:create': {
    summary: 'register a signature application with the OAuth authorization server; prints client_id (and client_secret once)',
    flags: [
      { name: 'name', required: true, help: 'shown to people on the sign-in and signature pages' },
      { name: 'redirect-uri', multi: true, help: 'an exact redirect URI (repeat the flag for several); required unless --seal-owner true' },
      { name: 'auth', help: 'client_secret_basic | client_secret_post | private_key_jwt (default client_secret_basic)' },
      { name: 'jwks-file', help: 'JSON Web Key Set with the public keys of a private_key_jwt client' },
      { name: 'jwks-uri', help: 'https URL where a private_key_jwt client publishes its JWKS (instead of --jwks-file)' },
      { name: 'seal-owner', help: 'true: an organisation that owns e-seals and may use the client credentials grant (seal:create)' },
      { name: 'fapi', help: 'true: a FAPI 2.0 client (private_key_jwt, pushed requests only, DPoP-bound tokens)' },
    ],
    async run(f, api) {
      if (f['seal-owner'] !== undefined && f['seal-owner'] !== 'true' && f['seal-owner'] !== 'false') throw new CliError('--seal-owner must be true or false', 2);
      const sealOwner = f['seal-owner'] === 'true';
      if (f.fapi !== undefined && f.fapi !== 'true' && f.fapi !== 'false') throw new CliError('--fapi must be true or false', 2);
      if (f['redirect-uri'] === undefined && !sealOwner) throw new CliError('missing --redirect-uri', 2);
      let jwks: unknown;
      if (f['jwks-file'] !== undefined) {
        try {
          jwks = JSON.parse(readFileSync(f['jwks-file'], 'utf8'));
        } catch (err) {
          throw new CliError(`cannot read ${f['jwks-file']} as JSON: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      const redirectUris = f['redirect-uri'] === undefined ? [] : f['redirect-uri'].split('\n');
      printJson(await api('POST', '/admin/clients', { name: f.name, redirectUris, auth: f.auth, jwks, jwksUri: f['jwks-uri'], sealOwner: sealOwner || undefined, fapi: f.fapi === 'true' || undefined }));
    },
  },
  'seal:create': {
    summary: 'generate an e-seal key in the HSM for an organisation (a client created with --seal-owner true) and certify it',
    flags: [
      { name: 'client', required: true, help: 'client_id of the organisation that owns the seal' },
      { name: 'organization', required: true, help: 'organizationName of the certificate (the legal person)' },
      { name: 'common-name', help: 'commonName of the certificate (default: the organisation)' },
      { name: 'algo', required: true, help: 'ES256 | ES384 | RS256 | RS384 | PS256' },
      { name: 'rsa-bits', int: true, help: '2048 | 3072 (RSA only, default 2048)' },
      {
        name: 'pin',
        required: true,
        secret: { prompt: 'PIN of the new seal: ', unless: (f) => f['pin-by'] === 'activation' },
        help: "the seal's PIN, 4 to 16 digits, for the sealing system (asked for, or one line of stdin; not with --pin-by activation)",
      },
      { name: 'pin-by', help: 'admin (default) | activation: no PIN now, the organisation chooses it on an activation link (seal:activation); production allows only activation' },
      { name: 'scal', help: '1: one PIN activation for a batch of signatures | 2 (default): every batch bound to its hashes, PIN and TOTP (seal:otp)' },
      { name: 'multisign', int: true, help: 'signatures one activation may cover (default 1; SEAL_BATCH_MAX_SIGNATURES caps a SCAL 1 batch)' },
      { name: 'description', help: 'free text shown to signature applications (at most 255 characters)' },
    ],
    async run(f, api) {
      if (f['pin-by'] !== undefined && f['pin-by'] !== 'admin' && f['pin-by'] !== 'activation') throw new CliError('--pin-by must be admin or activation', 2);
      printJson(
        await api('POST', `/admin/clients/${enc(f.client!)}/seals`, {
          activation: f['pin-by'] === 'activation' ? true : undefined,
          organization: f.organization,
          commonName: f['common-name'],
          algo: f.algo,
          rsaBits: num(f['rsa-bits']),
          pin: f.pin,
          scal: f.scal,
          multisign: num(f.multisign),
          description: f.description,
        }),
      );
    },
  },
  'seal:otp': {
    summary: "create (or replace) the organisation's TOTP seed, the second factor of its SCAL 2 seals; prints the secret once",
    flags: [{ name: 'client', required: true, help: 'client_id of the organisation' }],
    async run(f, api) {
      printJson(await api('POST', `/admin/clients/${enc(f.client!)}/otp`));
    },
  },
  'seal:activation': {
    summary: "send the organisation a single-use activation link to choose its seals' PIN and enrol its authenticator (the link is never shown here)",
    flags: [
      { name: 'client', required: true, help: 'client_id of the organisation' },
      { name: 'email', help: "the organisation's address the link is sent to (or --phone)" },
      { name: 'phone', help: "the organisation's phone number the link is sent to by SMS" },
      { name: 'credential', multi: true, help: "seal credential ID the link covers (repeatable; default: all of the organisation's seals)" },
    ],
    async run(f, api) {
      printJson(
        await api('POST', `/admin/clients/${enc(f.client!)}/activation`, {
          email: f.email,
          phone: f.phone,
          ...(f.credential === undefined ? {} : { credentialIDs: f.credential.split('\n') }),
        }),
      );
    },
  },
  'seal:list': {
    summary: "list an organisation's e-seal credentials",
    flags: [{ name: 'client', required: true, help: 'client_id of the organisation' }],
    async run(f, api) {
      printJson(await api('GET', `/admin/clients/${enc(f.client!)}/seals`));
    },
  },
  'client:list': {
    summary: 'list the registered OAuth clients (never their secrets)',
    flags: [],
    async run(_f, api) {
      printJson(await api('GET', '/admin/clients'));
    },
  },
  'client:delete': {
    summary: 'delete an OAuth client with every grant and token issued to it',
    flags: [{ name: 'id', required: true, help: 'the client_id' }],
    async run(f, api) {
      printJson(await api('DELETE', `/admin/clients/${enc(f.id!)}`, {}));
    },
  },
  'oauth:rotate-keys': {
    summary: "add a new signing key for the OAuth authorization server (the previous key stays valid); active at each instance's next start",
    flags: [],
    async run(_f, api) {
      printJson(await api('POST', '/admin/oauth/keys/rotate', {}));
    },
  },
  'ca:cert': {
    summary: 'print the certificate (PEM) of the CA that certifies new credentials',
    flags: [],
    async run(_f, api) {
      const res = await api('GET', '/admin/ca/certificate');
      process.stdout.write(String(res.certificate));
    },
  },
};

function helpText(): string {
  const lines = [
    'usage: npm run admin -- <command> [--flag value ...]',
    '',
    'Talks to the admin API at ADMIN_URL (default http://$ADMIN_LISTEN, else http://127.0.0.1:${PORT:-8080}) with the token from',
    'ADMIN_TOKEN, ADMIN_TOKEN_FILE or ${DATA_DIR:-./data}/admin-token.',
    '',
    'commands:',
  ];
  for (const [name, c] of Object.entries(COMMANDS)) {
    const flags = c.flags.filter((f) => !f.secret).map((f) => (f.required ? `--${f.name} <v>` : `[--${f.name} <v>]`)).join(' ');
    lines.push(`  ${name} ${flags}`.trimEnd(), `      ${c.summary}`);
    for (const f of c.flags) lines.push(`      ${f.secret ? `${f.name} (stdin)`.padEnd(14) : `--${f.name.padEnd(12)}`} ${f.help}`);
  }
  return lines.join('\n') + '\n';
}

export function parseArgs(argv: string[]): { command: string; flags: Record<string, string> } {
  const [command, ...rest] = argv;
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (!spec) throw new CliError(command ? `unknown command ${command} (see --help)` : 'no command given (see --help)', 2);
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new CliError(`unexpected argument ${JSON.stringify(arg)} (see --help)`, 2);
    const name = m[1]!;
    const flag = spec.flags.find((f) => f.name === name);
    if (!flag) throw new CliError(`${command} has no flag --${name} (see --help)`, 2);
    if (flag.secret) throw new CliError(`--${name} is read from standard input or asked for, never taken from the command line`, 2);
    // The value is the next argument whatever it looks like, so that a password may begin with "-".
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new CliError(`--${name} needs a value`, 2);
    if (flag.int && !/^[0-9]{1,9}$/.test(value)) throw new CliError(`--${name} must be a whole number`, 2);
    flags[name] = flag.multi && flags[name] !== undefined ? `${flags[name]}\n${value}` : value;
  }
  const missing = spec.flags.filter((f) => f.required && !f.secret && flags[f.name] === undefined).map((f) => `--${f.name}`);
  if (missing.length) throw new CliError(`${command} needs ${missing.join(', ')}`, 2);
  return { command: command!, flags };
}

/** The secret flags of a command, from the terminal (no echo) or, when stdin is not one, one line each. */
async function readSecrets(flags: Flag[], input: NodeJS.ReadStream = process.stdin): Promise<Record<string, string>> {
  const wanted = flags.filter((f) => f.secret);
  const out: Record<string, string> = {};
  if (wanted.length === 0) return out;
  if (input.isTTY) {
    for (const f of wanted) out[f.name] = await ask(f.secret!.prompt, { secret: true });
  } else {
    const lines: string[] = [];
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lines.push(line);
      if (lines.length === wanted.length) break;
    }
    wanted.forEach((f, i) => {
      if (lines[i] === undefined || lines[i] === '') throw new CliError(`--${f.name} is needed: one line on standard input (or run in a terminal to be asked)`, 2);
      out[f.name] = lines[i]!;
    });
  }
  return out;
}

export function adminToken(env: NodeJS.ProcessEnv): string {
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN.trim();
  const file = env.ADMIN_TOKEN_FILE ?? path.join(env.DATA_DIR ?? './data', 'admin-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  } catch {
    // reported below
  }
  throw new CliError(`no admin token: set ADMIN_TOKEN or ADMIN_TOKEN_FILE (${file} is missing or empty)`);
}

/** `token` is read on the first call: commands that work offline (tls:dev) need none. */
function client(baseUrl: string, token: () => string): Api {
  return async (method, p, body, raw) => {
    const bearer = token();
    let res: Response;
    try {
      res = await fetch(baseUrl.replace(/\/+$/, '') + p, {
        method,
        headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the admin API at ${baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (raw === 'stream' && res.ok && res.body) return { stream: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) };
    const text = await res.text();
    if (raw && res.ok) return { text };
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const what = json && typeof json.error_description === 'string' ? json.error_description : text.slice(0, 200) || res.statusText;
      throw new CliError(`${what} (HTTP ${res.status}${json?.error ? ` ${json.error}` : ''})`);
    }
    if (!json || typeof json !== 'object') throw new CliError(`unexpected answer from the admin API (HTTP ${res.status}, not JSON)`);
    return json;
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
      (argv.length === 0 ? process.stderr : process.stdout).write(helpText());
      return argv.length === 0 ? 2 : 0;
    }
    const { command, flags } = parseArgs(argv);
    Object.assign(flags, await readSecrets(COMMANDS[command]!.flags.filter((fl) => !fl.secret?.unless?.(flags))));
    const baseUrl = env.ADMIN_URL ?? (env.ADMIN_LISTEN ? `http://${env.ADMIN_LISTEN}` : `http://127.0.0.1:${env.PORT ?? 8080}`);
    await COMMANDS[command]!.run(flags, client(baseUrl, () => adminToken(env)));
    return 0;
  } catch (err) {
    const message = err instanceof CliError ? err.message : `unexpected failure: ${(err as Error).message}`;
    // One line, whatever the server or the OS said.
    process.stderr.write(`error: ${message.replace(/\s+/g, ' ').trim()}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
