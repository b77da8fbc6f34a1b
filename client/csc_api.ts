// A small HTTP client of the CSC API v2 methods a signature application needs (CSC v2 §11). Errors from the
// service keep their `error` and `error_description` (§10) so callers and users see exactly what was refused.

export class CscClientError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    readonly error: string,
    readonly errorDescription: string,
  ) {
    super(`${method}: ${error}${errorDescription ? ` (${errorDescription})` : ''}${status ? ` [HTTP ${status}]` : ''}`);
  }
}

export type AuthObject = { type: string; id: string; format?: string; label?: string; description?: string; generator?: string };

export type CredentialInfo = {
  key: { status: string; algo: string[]; len?: number; curve?: string };
  cert?: { status?: string; certificates?: string[]; subjectDN?: string; issuerDN?: string; serialNumber?: string; validFrom?: string; validTo?: string };
  auth?: { mode: 'explicit' | 'oauth2code'; expression?: string; objects?: AuthObject[] };
  SCAL?: string;
  multisign: number;
  description?: string;
};

export type CscApiOptions = {
  /** Service base URL, e.g. https://rssp.example.org (the client adds /csc/v2/...). */
  baseUrl: string;
  /** Service access token (auth/login or OAuth 2.0). */
  accessToken?: string;
  fetch?: typeof fetch;
};

export class CscApi {
  accessToken: string | undefined;
  private readonly fetchImpl: typeof fetch;
  readonly baseUrl: string;

  constructor(opts: CscApiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '').replace(/\/csc\/v2$/, '');
    this.accessToken = opts.accessToken;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** POSTs one CSC method (all of them are POST with JSON, CSC v2 §9.1). */
  async call<T>(method: string, body: unknown, auth: 'bearer' | { bearer: string } | { basic: [string, string] } | 'none' = 'bearer'): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (typeof auth === 'object' && 'bearer' in auth) {
      headers.authorization = `Bearer ${auth.bearer}`;
    } else if (auth === 'bearer') {
      if (!this.accessToken) throw new CscClientError(method, 0, 'no_token', 'log in first (username and password, or an access token)');
      headers.authorization = `Bearer ${this.accessToken}`;
    } else if (auth !== 'none') {
      headers.authorization = `Basic ${Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}/csc/v2/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
    } catch (err) {
      throw new CscClientError(method, 0, 'unreachable', `cannot reach ${this.baseUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new CscClientError(method, res.status, 'invalid_response', 'the service did not answer with JSON');
    }
    if (!res.ok) throw new CscClientError(method, res.status, String(parsed?.error ?? 'error'), String(parsed?.error_description ?? ''));
    return parsed as T;
  }

  /** auth/login with HTTP Basic (CSC v2 §11.2); keeps the access token for later calls. */
  async login(username: string, password: string): Promise<string> {
    const r = await this.call<{ access_token: string }>('auth/login', {}, { basic: [username, password] });
    this.accessToken = r.access_token;
    return r.access_token;
  }

  info(): Promise<{ name: string; methods: string[]; authType: string[]; oauth2?: string; oauth2Issuer?: string; lang?: string }> {
    return this.call('info', {}, 'none');
  }

  async listCredentials(): Promise<string[]> {
    return (await this.call<{ credentialIDs: string[] }>('credentials/list', {})).credentialIDs;
  }

  credentialInfo(credentialID: string): Promise<CredentialInfo> {
    return this.call('credentials/info', { credentialID, certificates: 'chain', certInfo: true, authInfo: true });
  }

  /** credentials/authorize (CSC v2 §11.6): one SAD for all `hashes`, each of which may then be signed once. */
  async authorize(cmd: { credentialID: string; hashes: Uint8Array[]; hashAlgorithmOID: string; authData: { id: string; value: string }[]; description?: string }): Promise<{ SAD: string; expiresIn?: number }> {
    return this.call('credentials/authorize', {
      credentialID: cmd.credentialID,
      numSignatures: cmd.hashes.length,
      hashes: cmd.hashes.map((h) => Buffer.from(h).toString('base64')),
      hashAlgorithmOID: cmd.hashAlgorithmOID,
      authData: cmd.authData,
      ...(cmd.description ? { description: cmd.description } : {}),
    });
  }

  /** signatures/timestamp (CSC v2 §11.13): an RFC 3161 token over `hash` (checked by client/cms/timestamp.ts). */
  async timestamp(cmd: { hash: Uint8Array; hashAlgo: string; nonce: string }): Promise<Uint8Array> {
    const r = await this.call<{ timestamp: string }>('signatures/timestamp', { hash: Buffer.from(cmd.hash).toString('base64'), hashAlgo: cmd.hashAlgo, nonce: cmd.nonce }, 'bearer');
    if (typeof r.timestamp !== 'string' || !r.timestamp) throw new CscClientError('signatures/timestamp', 200, 'invalid_response', 'no timestamp in the answer');
    return new Uint8Array(Buffer.from(r.timestamp, 'base64'));
  }

  /** signatures/signHash (CSC v2 §11.10). `sad` is omitted when `bearer` is a credential-scoped OAuth access
   *  token (§8.4.4), which then stands in for it. */
  async signHash(cmd: { credentialID: string; sad?: string; bearer?: string; hashes: Uint8Array[]; hashAlgorithmOID: string; signAlgo: string; signAlgoParams?: Uint8Array }): Promise<Uint8Array[]> {
    const r = await this.call<{ signatures: string[] }>('signatures/signHash', {
      credentialID: cmd.credentialID,
      ...(cmd.sad ? { SAD: cmd.sad } : {}),
      hashes: cmd.hashes.map((h) => Buffer.from(h).toString('base64')),
      hashAlgorithmOID: cmd.hashAlgorithmOID,
      signAlgo: cmd.signAlgo,
      ...(cmd.signAlgoParams ? { signAlgoParams: Buffer.from(cmd.signAlgoParams).toString('base64') } : {}),
    }, cmd.bearer ? { bearer: cmd.bearer } : 'bearer');
    if (!Array.isArray(r.signatures) || r.signatures.length !== cmd.hashes.length) {
      throw new CscClientError('signatures/signHash', 200, 'invalid_response', `expected ${cmd.hashes.length} signatures`);
    }
    return r.signatures.map((s) => new Uint8Array(Buffer.from(s, 'base64')));
  }
}
