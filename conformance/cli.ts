// npm run conformance -- --base-url URL [auth options]: black-box CSC v2 conformance checks of a remote signing
// service. Prints one line per check, writes report.json and junit.xml under --out, exits 1 when a check fails
// (2 on a usage error).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILE_NAMES, type ProfileName } from './options.ts';
import { textLine, textSummary, toJson, toJunit } from './report.ts';
import { runConformance } from './runner.ts';

const USAGE = `usage: npm run conformance -- --base-url URL [options]

  --base-url URL        the service, e.g. https://sign.example.org/csc/v2 (/csc/v2 is appended when missing)
  --username NAME       service authorization with auth/login and HTTP Basic, with --password
  --password PASS
  --token TOKEN         or a service access token obtained elsewhere (Bearer)
  --credential ID       the credential to exercise (default: the first of credentials/list)
  --pin PIN             the credential's PIN, for credentials/authorize
  --otp CODE            a one-time password, or
  --totp-secret BASE32  the signer's TOTP secret, to compute the current code (RFC 6238)
  --out DIR             write DIR/report.json and DIR/junit.xml
  --timeout MS          per-request timeout (default 15000)
  --profile NAME        check what one client requires instead of the default checks:
                          eudi-rqes     EUDI Wallet rQES library, CSC v2.2 (default base /csc/v2.2)
                          documenso-v1  Documenso's CSC integration, CSC v2.0 (default base /csc/v2)
                          pyhanko-v1    pyHanko's CSCSigner, CSC v1.0.4.0 (default base /csc/v1)
                          strict        CSC v2.0.0.2 to the letter (default base /csc/v2)
  --base-path PATH      the API base under the service (e.g. /csc/v2.2), replacing the profile's default
  --quiet               print only failures and the summary

Secrets may come from the environment instead of the command line (where other users of the machine can see
them): CSC_PASSWORD, CSC_TOKEN, CSC_PIN, CSC_TOTP_SECRET.
Checks that need a token, a credential or a factor that was not given are skipped with the reason.
Exit status: 0 when no check failed, 1 when one did, 2 on a usage error.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'base-url': { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        token: { type: 'string' },
        credential: { type: 'string' },
        pin: { type: 'string' },
        otp: { type: 'string' },
        'totp-secret': { type: 'string' },
        out: { type: 'string' },
        timeout: { type: 'string' },
        profile: { type: 'string' },
        'base-path': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const baseUrl = values['base-url'];
  if (!baseUrl || !/^https?:\/\//.test(baseUrl)) {
    console.error(`--base-url http(s)://… is required\n\n${USAGE}`);
    return 2;
  }
  const env = (name: string) => process.env[name] || undefined;
  const password = values.password ?? env('CSC_PASSWORD');
  if ((values.username === undefined) !== (password === undefined)) {
    console.error('--username and --password go together');
    return 2;
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    console.error('--timeout is a positive number of milliseconds');
    return 2;
  }
  const profile = values.profile;
  if (profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(profile)) {
    console.error(`--profile is one of ${PROFILE_NAMES.join(', ')}`);
    return 2;
  }
  const basePath = values['base-path'];
  if (basePath !== undefined && !/^\/?[A-Za-z0-9._~\/-]+$/.test(basePath)) {
    console.error('--base-path is a URL path such as /csc/v2.2');
    return 2;
  }
  const report = await runConformance(
    {
      baseUrl,
      username: values.username,
      password,
      token: values.token ?? env('CSC_TOKEN'),
      credentialID: values.credential,
      pin: values.pin ?? env('CSC_PIN'),
      otp: values.otp,
      totpSecret: values['totp-secret'] ?? env('CSC_TOTP_SECRET'),
      timeoutMs,
      profile: profile as ProfileName | undefined,
      basePath,
    },
    (r) => {
      if (!values.quiet || r.status === 'fail') console.log(textLine(r));
    },
  );
  console.log(textSummary(report));
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(path.join(values.out, 'report.json'), toJson(report));
    writeFileSync(path.join(values.out, 'junit.xml'), toJunit(report));
    console.log(`reports: ${path.join(values.out, 'report.json')}, ${path.join(values.out, 'junit.xml')}`);
  }
  return report.summary.fail > 0 ? 1 : 0;
}

process.exitCode = await main();
