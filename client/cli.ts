// `npm run sign -- [options] FILE...` — signs files with a credential of a CSC v2 service: PDFs as PAdES B-B or B-T
// (FILE-signed.pdf), anything else as detached CAdES (FILE.p7s), all of them under ONE authorization.
// Prints a JSON summary on stdout, progress and errors on stderr; secrets are never printed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { CscApi, CscClientError } from './csc_api.ts';
import { authorizeCredentialWithOAuth, authorizeServiceWithOAuth, discoverOAuth } from './oauth_flow.ts';
import type { HashAlg } from './cms/signed_data.ts';
import { TimestampError } from './cms/timestamp.ts';
import { PdfReadError } from './pdf/reader.ts';
import { ProgressBar } from './progress.ts';
import { ask } from './prompt.ts';
import { defaultFormat, type DocumentFormat, type FactorSource, rootCertificatePem, signDocuments, SigningError } from './sign_documents.ts';

const USAGE = `Usage: npm run sign -- --url URL [options] FILE...

Signs each FILE with one authorization (one SAD for all of them): PDFs become FILE-signed.pdf (PAdES, B-B unless --level),
other files get a detached FILE.p7s (CAdES).

  --url URL            service base URL (env CSC_URL)
  --username NAME      account for auth/login (env CSC_USERNAME)
  --password PASS      its password (env CSC_PASSWORD; asked on the terminal when missing)
  --token TOKEN        an access token instead of username/password (env CSC_TOKEN)
  --credential ID      credential to sign with (env CSC_CREDENTIAL; default: the only one listed)
  --pin PIN            the credential's PIN (env CSC_PIN; asked when missing)
  --otp CODE           the one-time password (asked when missing)
  --oauth              authorize in the browser (OAuth 2.0, CSC v2 §8.4) even if PIN/OTP would do;
                       credentials in oauth2code mode always use it
  --oauth-login        sign in to the service in the browser too (scope "service") instead of a password
  --client-id ID       the OAuth client registered for this application (env CSC_CLIENT_ID)
  --client-secret S    its secret, for a confidential client (env CSC_CLIENT_SECRET); write
                       --client-secret=S when S starts with '-', as a generated secret may
  --redirect-uri URI   its registered loopback redirect URI (default http://127.0.0.1/callback, any port)
  --no-browser         print the authorization URL instead of opening a browser
  --format F           auto (default) | pades | cades
  --hash H             sha256 | sha384 | sha512 (default: from the key)
  --pss                RSA keys: sign with RSASSA-PSS instead of PKCS#1 v1.5
  --level L            B-B (default) | B-T: add a signature-time-stamp from the service
                       (signatures/timestamp, CSC v2 §11.13) to each signature
  --out-dir DIR        where signed files go (default: next to each input)
  --export-root FILE   write the service's CA root certificate (PEM) for verifiers
  --help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      token: { type: 'string' },
      credential: { type: 'string' },
      pin: { type: 'string' },
      otp: { type: 'string' },
      oauth: { type: 'boolean', default: false },
      'oauth-login': { type: 'boolean', default: false },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', default: 'http://127.0.0.1/callback' },
      'no-browser': { type: 'boolean', default: false },
      format: { type: 'string', default: 'auto' },
      hash: { type: 'string' },
      pss: { type: 'boolean', default: false },
      level: { type: 'string', default: 'B-B' },
      'out-dir': { type: 'string' },
      'export-root': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const url = values.url ?? (process.env.CSC_URL || undefined);
  if (!url) throw new UsageError('--url is required');
  if (!['auto', 'pades', 'cades'].includes(values.format!)) throw new UsageError('--format must be auto, pades or cades');
  if (values.hash && !['sha256', 'sha384', 'sha512'].includes(values.hash)) throw new UsageError('--hash must be sha256, sha384 or sha512');
  if (values.level !== 'B-B' && values.level !== 'B-T') throw new UsageError('--level must be B-B or B-T');
  if (positionals.length === 0 && !values['export-root']) throw new UsageError('no file to sign');

  const api = new CscApi({ baseUrl: url, accessToken: values.token ?? (process.env.CSC_TOKEN || undefined) });
  const clientId = values['client-id'] ?? (process.env.CSC_CLIENT_ID || undefined);
  if ((values.oauth || values['oauth-login']) && !clientId) throw new UsageError(`${values.oauth ? '--oauth' : '--oauth-login'} needs --client-id`);
  const oauthClient = clientId
    ? { clientId, clientSecret: values['client-secret'] ?? (process.env.CSC_CLIENT_SECRET || undefined), redirectUri: values['redirect-uri']! }
    : undefined;
  const openUrl = (u: string) => openBrowser(u, values['no-browser']!);
  if (!api.accessToken && values['oauth-login'] && oauthClient) {
    api.accessToken = (await authorizeServiceWithOAuth({ endpoints: await discoverOAuth(api), client: oauthClient, openUrl })).accessToken;
  }
  if (!api.accessToken) {
    const username = values.username ?? (process.env.CSC_USERNAME || undefined) ?? (await ask('Username: '));
    const password = values.password ?? (process.env.CSC_PASSWORD || undefined) ?? (await ask('Password: ', { secret: true }));
    await api.login(username, password);
  }
  let credentialID = values.credential ?? (process.env.CSC_CREDENTIAL || undefined);
  if (!credentialID) {
    const ids = await api.listCredentials();
    if (ids.length !== 1) throw new UsageError(ids.length ? `several credentials, choose one with --credential: ${ids.join(', ')}` : 'this account has no credential');
    credentialID = ids[0]!;
  }

  const summary: { credentialID: string; root?: string; signed: { input: string; output: string; format: DocumentFormat }[] } = { credentialID, signed: [] };
  if (values['export-root']) {
    const info = await api.credentialInfo(credentialID);
    writeFileSync(values['export-root'], rootCertificatePem(info));
    summary.root = values['export-root'];
  }

  if (positionals.length) {
    const documents = positionals.map((file) => {
      const data = new Uint8Array(readFileSync(file));
      const format: DocumentFormat = values.format === 'auto' ? defaultFormat(file, data) : (values.format as DocumentFormat);
      return { name: file, data, format };
    });
    const outputPath = (name: string, format: DocumentFormat) => {
      const base = path.basename(name);
      return path.join(values['out-dir'] ?? path.dirname(name), format === 'pades' ? base.replace(/(\.pdf)?$/i, '-signed.pdf') : `${base}.p7s`);
    };
    // Two inputs writing one output (same name from two folders with --out-dir) would lose a signed file.
    const targets = documents.map((d) => path.resolve(outputPath(d.name, d.format)));
    const clash = targets.find((t, i) => targets.indexOf(t) !== i);
    if (clash) throw new UsageError(`two inputs would both be written to ${clash}`);
    const factors: FactorSource = async (objects) => {
      const out: { id: string; value: string }[] = [];
      for (const o of objects) {
        const given = o.id === 'PIN' ? (values.pin ?? (process.env.CSC_PIN || undefined)) : o.id === 'OTP' ? values.otp : undefined;
        out.push({ id: o.id, value: given ?? (await ask(`${o.label ?? o.id}: `, { secret: true })) });
      }
      return out;
    };
    const oauth = oauthClient
      ? async (req: Parameters<typeof authorizeCredentialWithOAuth>[0]) => authorizeCredentialWithOAuth(req, { endpoints: await discoverOAuth(api), client: oauthClient, openUrl })
      : undefined;
    const bar = new ProgressBar();
    const labels = { prepare: 'preparing', authorize: 'authorize', sign: 'signing', assemble: 'writing' } as const;
    const { outputs } = await signDocuments({
      api,
      credentialID,
      documents,
      factors: values.oauth ? undefined : factors,
      oauth,
      hash: values.hash as HashAlg | undefined,
      pss: values.pss,
      level: values.level as 'B-B' | 'B-T',
      onProgress: (e) => {
        if (e.phase === 'authorize') bar.done();
        bar.update(labels[e.phase], e.done, e.total, e.name ? path.basename(e.name) : '');
      },
    });
    bar.done();
    for (const o of outputs) {
      const out = outputPath(o.name, o.format);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, o.data);
      summary.signed.push({ input: o.name, output: out, format: o.format });
    }
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return 0;
}

class UsageError extends Error {}

/** Shows the authorization URL, and unless told not to, opens it with the desktop's handler. */
function openBrowser(url: string, printOnly: boolean): void {
  process.stderr.write(`\nAuthorize the signature in your browser:\n${url}\n\n`);
  if (printOnly) return;
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(opener, [url], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref();
  } catch {
    /* no browser here: the printed URL is enough */
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`sign: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    const known = err instanceof CscClientError || err instanceof SigningError || err instanceof PdfReadError || err instanceof TimestampError || (err as { code?: string }).code === 'ENOENT';
    process.stderr.write(`\nsign: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
