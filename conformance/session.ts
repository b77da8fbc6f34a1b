// What the checks learn as they go (the info document, a token, the credential under test, a SAD), so that later
// checks build on earlier ones and skip, naming the missing prerequisite, when an earlier step could not be done.
import type { X509Certificate } from 'node:crypto';
import { generate } from 'otplib';
import { skip } from './check.ts';
import { CscHttp, type HttpAnswer } from './http_client.ts';
import { baseUrlOf, type ConformanceOptions } from './options.ts';

export type CredentialUnderTest = {
  id: string;
  info: Record<string, unknown>;
  /** The certificate chain of credentials/info, end entity first; empty when none could be parsed. */
  chain: X509Certificate[];
};

export type Authorization = {
  sad: string;
  hashes: Buffer[];
  numSignatures: number;
  /** Signatures made with it so far, as the checks observed. */
  used: number;
  /** The last of `hashes`, kept for signatures/signDoc when the service offers it. */
  docHash?: Buffer;
};

export class Session {
  readonly http: CscHttp;
  info?: Record<string, unknown>;
  token?: string;
  credentialIDs?: string[];
  credential?: CredentialUnderTest;
  authorization?: Authorization;
  /** Every refusal the error checks provoked, for the checks that look across all of them. */
  readonly refusals: { what: string; answer: HttpAnswer }[] = [];

  constructor(readonly options: ConformanceOptions) {
    this.http = new CscHttp(baseUrlOf(options), options.timeoutMs);
  }

  get methods(): string[] {
    const m = this.info?.methods;
    return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
  }

  offers(method: string): boolean {
    return this.methods.includes(method);
  }

  needInfo(): Record<string, unknown> {
    return this.info ?? skip('info could not be read');
  }

  needMethod(method: string): void {
    this.needInfo();
    if (!this.offers(method)) skip(`${method} is not listed in info.methods`);
  }

  bearer(): string {
    if (!this.token) {
      skip(
        this.options.username || this.options.token
          ? 'no service access token: auth/login failed'
          : 'no service authorization given (--username/--password or --token)',
      );
    }
    return `Bearer ${this.token}`;
  }

  needCredential(): CredentialUnderTest {
    this.bearer();
    return this.credential ?? skip('no credential could be read with credentials/info');
  }

  /** An OTP: the one given, or the current TOTP code (RFC 6238) of the secret given. */
  async otp(): Promise<string | undefined> {
    if (this.options.otp) return this.options.otp;
    if (this.options.totpSecret) return generate({ secret: this.options.totpSecret });
    return undefined;
  }
}
