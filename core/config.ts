// One validated configuration schema, read from the environment once at start-up. Every key documents its
// default and why; the README's configuration table is written from these comments.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DOTTED_OID } from './oid.ts';
import { CRL_PATH } from './public_paths.ts';

const SOFTHSM_PATHS = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** host:port, the host a name, an IPv4 address or a bracketed IPv6 address. */
const LISTEN = /^(\[[0-9a-fA-F:]+\]|[^:\s[\]]+):[0-9]{1,5}$/;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  /** development | test | production. Production refuses every embedded default and development secret. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** TCP port of the HTTP server. Default 8080. */
  PORT: int(0, 65535).default(8080),
  /** Address the server binds to. Default 0.0.0.0 (all interfaces) so that containers are reachable. */
  HOST: z.string().default('0.0.0.0'),
  /** Reverse proxies in front of the service whose X-Forwarded-For entries are believed, counted from the right:
   *  1 behind one load balancer. Default 0: the peer address is the client (an X-Forwarded-For is ignored, since
   *  anyone can send one). Behind a proxy with 0, every client has the proxy's address and one guesser throttles
   *  everyone (issue #14 finding 5). */
  TRUST_PROXY: int(0, 10).default(0),
  /** Which parts this process runs (DESIGN §4): all (default: one process), sam (the Signature Activation Module
   *  alone, with PKCS#11, on SAM_LISTEN) or api (rssp, authz and the admin API on PORT, reaching the SAM at SAM_URL;
   *  no PKCS#11 library is loaded). sam and api need DATABASE_URL and the three SAM_TLS_* files. */
  SERVICES: z.enum(['all', 'sam', 'api']).default('all'),
  /** api: the SAM's https URL, e.g. https://sam:9443. */
  SAM_URL: z.url().optional(),
  /** sam: the address and port the SAM listens on, host:port. Default 127.0.0.1:9443 (loopback: expose it to the
   *  api tier only, on an internal network). */
  SAM_LISTEN: z.string().regex(LISTEN, 'host:port').default('127.0.0.1:9443'),
  /** sam and api: PEM file of the CA that issued both sides' certificates; each side refuses a peer not issued by it.
   *  `npm run admin -- tls:dev --out DIR` makes a development CA and the two certificates. */
  SAM_TLS_CA: z.string().optional(),
  /** sam: the SAM's server certificate (PEM); api: the api tier's client certificate. */
  SAM_TLS_CERT: z.string().optional(),
  /** The private key of SAM_TLS_CERT (PEM). */
  SAM_TLS_KEY: z.string().optional(),
  /** External base URL, used in `info`, metadata and links. Default http://localhost:$PORT. */
  PUBLIC_URL: z.url().optional(),
  /** Where embedded state lives: PGlite data, SoftHSM token, generated secrets. Default ./data. */
  DATA_DIR: z.string().default('./data'),
  /** PostgreSQL connection string. Unset: an embedded PGlite (development only). */
  DATABASE_URL: z.string().optional(),
  /** Size of the pg connection pool per process. Default 10. */
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  /** Redis connection string for data that may be lost (rate limits, caches). Unset: in-process (development only). */
  REDIS_URL: z.string().optional(),
  /** Prefix of every Redis key, so that several deployments (or test runs) can share one Redis. Default rssp:. */
  REDIS_KEY_PREFIX: z.string().min(1).max(64).default('rssp:'),
  /** Path of the PKCS#11 library. Unset: SoftHSM2 at its usual paths, token initialised under DATA_DIR. */
  PKCS11_MODULE: z.string().optional(),
  /** Label of the token holding the SAM's keys. Default rssp-sam. */
  SAM_TOKEN_LABEL: z.string().min(1).max(32).default('rssp-sam'),
  /** User PIN of the token (or SAM_PIN_FILE). Unset in development: generated into DATA_DIR on first start. */
  SAM_PIN: z.string().min(4).optional(),
  SAM_PIN_FILE: z.string().optional(),
  /** PKCS#11 sessions kept open and logged in. Default: UV_THREADPOOL_SIZE (4 when unset), since async calls
   *  run on libuv's thread pool and more sessions than threads only queue. */
  SAM_SESSIONS: int(1, 256).optional(),
  /** URL of an external RFC 3161 time-stamping authority (RFC 3161 §3.4 over HTTP). Set: signatures/timestamp and
   *  the audit checkpoints are time-stamped there, each answer checked (status, imprint, nonce, signature) before it
   *  is used. Unset (default): by the SAM's own TSA, whose key is in the HSM and whose certificate the SAM's CA
   *  issues (a development CA under embedded defaults: trusted by nobody else). */
  TSA_URL: z.url().optional(),
  /** TSA policy OID of the SAM's own TSA's tokens (TSTInfo.policy). Default: an OID of this software under the
   *  UUID arc 2.25; set the OID of your published time-stamp policy. Arcs unbounded, unlike core/oid.ts: an OID under
   *  the UUID arc has a 39-digit second arc. */
  TSA_POLICY_OID: z.string().regex(/^[0-2](\.(0|[1-9][0-9]*))+$/, 'a dotted OID').optional(),
  /** Seconds an external TSA has to answer before the request fails (closed). Default 10. */
  TSA_TIMEOUT_SECONDS: int(1, 120).default(10),
  /** Hours from the development CA's CRL thisUpdate to its nextUpdate (RFC 5280 §5.1.2.5): how long the revocation
   *  data embedded in AdES-B-LT signatures counts as fresh. The SAM signs a new CRL half-way. Default 168 (7 days). */
  CRL_NEXT_UPDATE_HOURS: int(1, 8760).default(168),
  /** Where relying parties fetch the development CA's CRL, named as the CRL distribution point of every certificate
   *  it issues (RFC 5280 §4.2.1.13). Default: $PUBLIC_URL/ca/crl, which the api serves; a SAM process on its own
   *  (SERVICES=sam) without PUBLIC_URL or CRL_URL names none. */
  CRL_URL: z.url().optional(),
  /** Comma-separated OIDs of the certificate policies the development CA may issue under, e.g. 0.4.0.194112.1.2
   *  (ETSI EN 319 411-2 QCP-n-qscd): a CSC v2.2 credential_creation authorization that names one of them gets a
   *  certificate whose certificatePolicies extension (RFC 5280 §4.2.1.4) holds exactly that OID. Any other policy is
   *  refused at oauth2/authorize, never issued otherwise than asked. Default empty: every requested policy is refused.
   *  Name only policies whose practice statement this CA actually follows. In split mode set it on both processes:
   *  the api tier refuses the authorization, the SAM refuses the issuance. */
  CA_CERTIFICATE_POLICIES: z.string().optional(),
  /** Seconds a SAD stays valid after activation (DESIGN §2.2). Short: a leaked SAD is useful only this long. */
  SAD_LIFETIME_SECONDS: int(1, 3600).default(300),
  /** Consecutive wrong factors before a credential's authorization locks until an admin unlocks it. */
  MAX_FACTOR_FAILURES: int(1, 100).default(5),
  /** Milliseconds a refused activation takes at least when a PIN or one-time password was wrong, counted from the
   *  start of the factor checks (issue #14 finding 7): a wrong code after a right PIN otherwise answers measurably
   *  later than a wrong PIN, which tells a guesser the PIN was right. Keep it above the slowest wrong-factor path
   *  (scrypt of the PIN, an HSM decryption, a few queries). Default 400. */
  FACTOR_FAILURE_FLOOR_MS: int(0, 10_000).default(400),
  /** log2 of scrypt's cost N for new credential PINs. Default 15 (N = 32768, r = 8: about 32 MiB and tens of
   *  milliseconds per check). Production refuses less; lower values exist for benchmarks that must mint many
   *  SADs (bench/run.ts). Existing hashes keep the cost they were made with. */
  PIN_SCRYPT_LOG2N: int(10, 20).default(15),
  /** Digits of a one-time password sent by e-mail or SMS (credentials/getChallenge, CSC v2 §11.8). Default 6. */
  OTP_DIGITS: int(6, 8).default(6),
  /** Seconds a sent one-time password stays valid. Default 300 (5 minutes). */
  OTP_LIFETIME_SECONDS: int(30, 3600).default(300),
  /** Challenges (codes sent) per credential within OTP_CHALLENGE_WINDOW_SECONDS before 429. Default 5: each
   *  message costs money and fills someone's phone, and a code per minute is more than any person needs. */
  OTP_CHALLENGE_MAX: int(1, 1000).default(5),
  /** The window of OTP_CHALLENGE_MAX, seconds. Default 7200 (2 hours). */
  OTP_CHALLENGE_WINDOW_SECONDS: int(60, 7 * 86400).default(7200),
  /** Longest a transaction may last through credentials/extendTransaction (CSC v2 §11.9), counted from the
   *  authorization that started it, seconds. Default 3600: sole control means a person's consent does not
   *  stretch indefinitely. */
  SAD_MAX_TRANSACTION_SECONDS: int(30, 86400).default(3600),
  /** Most signatures one activation of a SCAL 1 e-seal may cover (CSC v2 §8.5.3, the "high but limited number"):
   *  the PIN is given once and the SAD counts signatures across signHash calls. Default 1000; a seal's own
   *  multisign may be lower. */
  SEAL_BATCH_MAX_SIGNATURES: int(1, 1_000_000).default(1000),
  /** Seconds the SAD of a SCAL 1 e-seal batch stays valid (its time window). Default 3600: a leaked batch SAD is
   *  useful for that long at most, so keep it as short as the sealing job allows. */
  SEAL_BATCH_SECONDS: int(1, 86400).default(3600),
  /** Seconds an asynchronous authorization (credentials/authorize answered 202, CSC v2 §11.7) waits for the person
   *  to approve on the page before it expires. Default 300. */
  ASYNC_APPROVAL_LIFETIME_SECONDS: int(30, 3600).default(300),
  /** Hours an activation link (admin activation:issue, issue #14 finding 1) stays valid before the person must ask
   *  for a new one. Short, since whoever holds the link chooses the PIN; decimals allowed (0.5 = 30 minutes).
   *  Default 24. */
  ACTIVATION_LINK_HOURS: z.coerce.number().min(0.01).max(720).default(24),
  /** SMTP server for e-mail OTPs. Unset: e-mail goes to the development outbox (DATA_DIR/outbox). */
  SMTP_HOST: z.string().optional(),
  /** Default 587 (submission with STARTTLS); 465 with SMTP_SECURE=true. */
  SMTP_PORT: int(1, 65535).default(587),
  /** true: implicit TLS from the first byte (port 465). false (default): STARTTLS when offered. */
  SMTP_SECURE: z.stringbool().default(false),
  /** true: refuse to send unless the server upgrades with STARTTLS. Default false. */
  SMTP_REQUIRE_TLS: z.stringbool().default(false),
  /** false accepts a self-signed server certificate (tests only). Default true. */
  SMTP_TLS_REJECT_UNAUTHORIZED: z.stringbool().default(true),
  /** SMTP login; unset for a relay that needs none. */
  SMTP_USER: z.string().optional(),
  /** SMTP password (or SMTP_PASSWORD_FILE). */
  SMTP_PASSWORD: z.string().optional(),
  SMTP_PASSWORD_FILE: z.string().optional(),
  /** Sender address of OTP e-mails. Default rssp@localhost. */
  SMTP_FROM: z.string().default('rssp@localhost'),
  /** URL of the HTTP SMS gateway. Unset: SMS goes to the development outbox. */
  SMS_GATEWAY_URL: z.url().optional(),
  /** HTTP method of the gateway call. Default POST. */
  SMS_GATEWAY_METHOD: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  /** Headers of the gateway call as a JSON object (e.g. {"Authorization":"Bearer …"}). Default {}. */
  SMS_GATEWAY_HEADERS: z.string().default('{}'),
  /** Body template; {{to}} and {{text}} are replaced, escaped for the Content-Type header. Default
   *  {"to":"{{to}}","text":"{{text}}"} as application/json. */
  SMS_GATEWAY_BODY: z.string().default('{"to":"{{to}}","text":"{{text}}"}'),
  /** Length of the rate-limit windows below, seconds. Default 60. */
  RATE_LIMIT_WINDOW_SECONDS: int(1, 3600).default(60),
  /** auth/login requests per source IP and window before 429. Sheds load only (wrong passwords are counted by
   *  LOGIN_MAX_FAILURES), so it fails open when Redis is unreachable. Default 300. */
  LOGIN_RATE_PER_IP: int(1, 1_000_000).default(300),
  /** credentials/authorize requests per client and window before 429. Protects factors: fails closed. Default 60. */
  AUTHORIZE_RATE_PER_CLIENT: int(1, 1_000_000).default(60),
  /** credentials/authorize requests per source IP and window before 429. Protects factors: fails closed. Default
   *  300 (several signature applications may share an address behind a NAT). */
  AUTHORIZE_RATE_PER_IP: int(1, 1_000_000).default(300),
  /** Requests to the OAuth endpoints and pages (/oauth2/*) per source IP and window before 429. Sheds load (the
   *  factors typed on the pages are guarded by LOGIN_MAX_FAILURES and the SAM's lockout): fails open. Default 600. */
  OAUTH_RATE_PER_IP: int(1, 1_000_000).default(600),
  /** signatures/signHash requests per client and window before 429 (issue #14 finding 6: a bound on what refusals
   *  cost). Sheds load: fails open. Default 3000 (50 a second for a minute); batches count once. */
  SIGN_RATE_PER_CLIENT: int(1, 100_000_000).default(3000),
  /** signatures/signPolling requests per client and window before 429: a client that polls in a tight loop is
   *  slowed, not served. Sheds load: fails open. Default 6000 (100 a second for a minute). */
  POLL_RATE_PER_CLIENT: int(1, 100_000_000).default(6000),
  /** Requests to the OAuth endpoints per client (client_id or HTTP Basic client) and window before 429. Sheds load:
   *  fails open. Default 300. */
  OAUTH_RATE_PER_CLIENT: int(1, 1_000_000).default(300),
  /** Audit records between two checkpoints (the chain head signed in the HSM). Default 1000: a rewrite of the
   *  trail shows at the next checkpoint, so fewer records mean less history exposed to an undetected rewrite. */
  AUDIT_CHECKPOINT_RECORDS: int(1, 1_000_000).default(1000),
  /** Minutes at most between two checkpoints while records arrive. Default 10. */
  AUDIT_CHECKPOINT_MINUTES: int(1, 1440).default(10),
  /** File every checkpoint is appended to (one JSON line, fsynced) as well as written to PostgreSQL: the copy outside
   *  the database that `audit:verify --anchors` checks the trail against. Put it on storage the database's writers
   *  cannot change (append-only or WORM, shipped off the host). Default DATA_DIR/audit-anchors.jsonl. */
  AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
  /** host:port of a listener of its own for the admin API (and /admin/runtime-metrics), e.g. 127.0.0.1:9090: the public
   *  port then serves none of it. Unset: the admin API shares PORT (development only: production requires a
   *  loopback ADMIN_LISTEN, issue #14 finding 1). */
  ADMIN_LISTEN: z.string().regex(LISTEN, 'host:port').optional(),
  /** Bearer token of the admin API (or ADMIN_TOKEN_FILE). Unset in development: generated into DATA_DIR/admin-token. */
  ADMIN_TOKEN: z.string().min(16).optional(),
  ADMIN_TOKEN_FILE: z.string().optional(),
  /** Lifetime of a service access token from auth/login, seconds. Default 3600. */
  SERVICE_TOKEN_LIFETIME_SECONDS: int(60, 86400).default(3600),
  /** Lifetime of the refresh token that auth/login returns with rememberMe=true, seconds. Default 30 days. */
  REFRESH_TOKEN_LIFETIME_SECONDS: int(3600, 365 * 86400).default(30 * 86400),
  /** true: the authorization endpoint accepts only requests pushed first to {oauth2}/oauth2/pushed_authorize (RFC 9126
   *  §5), so that hashes and authorization_details never travel in a browser URL. Default false (CSC v2 clients that
   *  predate PAR still work). */
  OAUTH_REQUIRE_PAR: z.stringbool().default(false),
  /** true: every OAuth client is held to the FAPI 2.0 Security Profile (pushed requests only, private_key_jwt client
   *  authentication, DPoP-bound access tokens; PKCE S256 is required anyway). Clients registered with a client secret
   *  are then refused at oauth2/pushed_authorize and oauth2/token. Default false: only clients registered with
   *  `fapi` are held to it, and `info` of /csc/v2.2 says `oauth2FAPIsupport` either way (authz/oauth/fapi.ts). */
  OAUTH_REQUIRE_FAPI2: z.stringbool().default(false),
  /** true: the authorization server hands out DPoP nonces (RFC 9449 §8) and requires one in every DPoP proof at
   *  oauth2/token and oauth2/pushed_authorize: a proof without one (or with a stale one) is refused with
   *  use_dpop_nonce and a DPoP-Nonce header to retry with. A nonce shortens what a proof made in advance is good for
   *  to about a minute. Default false: the proof's iat window and its never-reused jti stand against replays, and
   *  clients that cannot retry keep working. The nonces are derived from the server's current cookie key, so every
   *  instance accepts those of the others. */
  OAUTH_DPOP_NONCE: z.stringbool().default(false),
  /** How far a DPoP proof's iat may be from the resource server's clock, seconds (RFC 9449 §11.1): a proof is
   *  accepted, once, within this window. Default 60. */
  DPOP_PROOF_WINDOW_SECONDS: int(5, 600).default(60),
  /** Lifetime of a credential-scoped OAuth access token (CSC v2 §8.4), seconds. It stands in for a SAD, so it is
   *  as short: default 300 (5 minutes). */
  OAUTH_CREDENTIAL_TOKEN_LIFETIME_SECONDS: int(30, 3600).default(300),
  /** Failed auth/login attempts per username and per IP in a 15-minute window before 429. Default 10. */
  LOGIN_MAX_FAILURES: int(1, 1000).default(10),
  /** Commercial name of the service, published by CSC `info` (CSC v2 §11.1 name, at most 255 characters). */
  SERVICE_NAME: z.string().min(1).max(255).default('Remote Signing Service'),
  /** ISO 3166-1 alpha-2 country where the provider is established (CSC v2 §11.1 region). Default ZZ, the code for
   *  "unknown": set it to the real country before going live. */
  SERVICE_REGION: z.string().regex(/^[A-Z]{2}$/).default('ZZ'),
  /** Free text about the service in English, published by `info` (CSC v2 §11.1 description, at most 255). */
  SERVICE_DESCRIPTION: z.string().min(1).max(255).default('Remote signing service: signatures/signHash over the CSC API v2 with sole control at SCAL2'),
  /** URL of the logo (PNG or JPEG, at most 256x256) published by `info`. Default: the one rssp serves at
   *  $PUBLIC_URL/csc/v2/logo.png. */
  SERVICE_LOGO_URL: z.url().optional(),
  /** Largest document signatures/signDoc accepts (CSC v2 §11.11 documents[].document, decoded), bytes. Default
   *  8388608 (8 MiB). The request body of signDoc may then be up to 4/3 of this (base64) plus 64 KiB. */
  SIGNDOC_MAX_DOCUMENT_BYTES: int(1024, 256 * 1024 * 1024).default(8 * 1024 * 1024),
  /** pino log level. Default info (warn under test). */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** 1 serves GET/POST /admin/runtime-metrics (event-loop delay, peak RSS; admin token required) for the benchmark
   *  (docs/performance.md). Default 0: a measuring aid, not a monitoring API. */
  RUNTIME_METRICS: z.enum(['0', '1']).default('0'),
  /** Worker processes sharing the HTTP port (node:cluster), each with its own PKCS#11 sessions and pg pool. Default
   *  1 (no cluster). Above 1 needs DATABASE_URL and REDIS_URL: the embedded stores live in one process. */
  CLUSTER_WORKERS: int(1, 64).default(1),
  /** Seconds that SIGTERM waits for requests in flight before cutting them (and /readyz answers 503 meanwhile).
   *  Default 10; keep it below the orchestrator's own grace period (Kubernetes: 30). */
  SHUTDOWN_GRACE_SECONDS: int(0, 600).default(10),
  /** Milliseconds a result of an asynchronous signature request (operationMode "A", CSC v2 §11.10 validity_period)
   *  is kept for signatures/signPolling when the request names no validity_period. Default 600000 (10 minutes). */
  ASYNC_VALIDITY_DEFAULT_MS: int(1000, 30 * 86400_000).default(600_000),
  /** Largest validity_period a request may ask for, milliseconds; above it: "Out of bounds parameter
   *  validity_period" (§11.10 asks the service policy to define it). Default 86400000 (a day): a result holds
   *  signatures that nobody collected, and the row holds the SAD until the job ran. */
  ASYNC_VALIDITY_MAX_MS: int(1000, 365 * 86400_000).default(86_400_000),
  /** Name of the job queue this instance serves: every api instance of one deployment takes the jobs of its queue
   *  from the shared table. Deployments that share one database (a staging beside production, test servers) give
   *  each its own name, since an instance can perform only jobs its own SAM can sign. Default "default". */
  ASYNC_QUEUE: z.string().min(1).max(128).default('default'),
  /** Asynchronous jobs one api instance performs at once. Default 4 (the SAM's session pool size). 0: this instance
   *  stores jobs and answers polls but performs none (front instances, when other instances do the work). */
  ASYNC_WORKER_CONCURRENCY: int(0, 256).default(4),
  /** Milliseconds between two looks for jobs when an instance is idle (a job enqueued by this instance starts at
   *  once; one enqueued by another instance within this delay). Default 250. */
  ASYNC_POLL_INTERVAL_MS: int(10, 60_000).default(250),
  /** Seconds a claimed job belongs to the instance that claimed it; after that (an instance that crashed or was
   *  stopped mid-job) any instance takes it again. Default 60, far above a signature's milliseconds, so that a
   *  slow instance is not overtaken by a second one (the SAM would refuse the spent SAD anyway). */
  ASYNC_LEASE_SECONDS: int(5, 3600).default(60),
  /** Times a job is tried when the SAM or the database is unavailable (503) before it fails. Default 3. */
  ASYNC_MAX_ATTEMPTS: int(1, 20).default(3),
  /** Deliveries of a result to its response_uri tried before giving up (the result stays pollable). Default 6. */
  CALLBACK_MAX_ATTEMPTS: int(1, 20).default(6),
  /** Milliseconds before the second delivery; each further one waits twice as long. Default 1000. */
  CALLBACK_BACKOFF_MS: int(10, 3_600_000).default(1000),
  /** Milliseconds a response_uri has to answer one delivery. Default 5000. */
  CALLBACK_TIMEOUT_MS: int(100, 120_000).default(5000),
  /** Seconds between purges of expired single-use rows (tokens, SADs, codes, OAuth artefacts; core/purge.ts), and of
   *  one-time credentials (CSC v2.2) whose certificate has expired: their keys are destroyed at the first purge after
   *  the expiry, whatever PURGE_AFTER_SECONDS says. Default 600; 0 turns the purge off. */
  PURGE_INTERVAL_SECONDS: int(0, 86400).default(600),
  /** How long a row is kept after it expired before the purge deletes it, seconds. Default 86400 (a day). */
  PURGE_AFTER_SECONDS: int(0, 365 * 86400).default(86400),
  /** Lifetime in seconds of a one-time credential's certificate (CSC v2.2 credentials/create) when the request names
   *  no validitySeconds. Default 900. Below 60 only for tests of the expiry (requests may not ask for less than 60; the
   *  SAM behind SERVICES=api refuses less): production refuses it. */
  ONE_TIME_VALIDITY_SECONDS: int(1, 86400).default(900),
});

export type Env = z.infer<typeof schema>;

/** Every environment variable the service reads, for checks of deployment files (test/unit/deploy/). */
export const CONFIG_KEYS: readonly string[] = Object.keys(schema.shape);

export type Config = {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  /** Trusted reverse proxies (X-Forwarded-For entries believed, from the right). */
  trustProxy: number;
  publicUrl: string;
  dataDir: string;
  logLevel: NonNullable<Env['LOG_LEVEL']>;
  runtimeMetrics: boolean;
  clusterWorkers: number;
  /** The parts this process runs and, when split, how the api tier and the SAM reach each other (mutual TLS). */
  services: 'all' | 'sam' | 'api';
  shutdownGraceSeconds: number;
  split?: { samUrl?: string; samListen: { host: string; port: number }; tls: { ca: string; cert: string; key: string } };
  db: { url?: string; poolSize: number };
  kv: { url?: string; prefix: string };
  sam: {
    module?: string;
    tokenLabel: string;
    pin?: string;
    sessions: number;
    sadLifetimeSeconds: number;
    maxFailures: number;
    /** Least duration of an activation refused for a wrong factor. Absent: 0 (unit tests of the SAM). */
    factorFailureFloorMs?: number;
    /** scrypt cost (log2 N) of new PIN hashes. Absent: 15. */
    pinScryptLog2N?: number;
    /** Out-of-band one-time passwords (CSC v2 §11.8). Absent: the defaults of sam/app/challenge.ts. */
    otpChallenge?: { digits: number; lifetimeSeconds: number; max: number; windowSeconds: number };
    /** credentials/extendTransaction bound (CSC v2 §11.9). Absent: 3600. */
    sadMaxTransactionSeconds?: number;
    /** SCAL 1 e-seal batches (CSC v2 §8.5.3): most signatures and the window of one activation. Absent: 1000 and
     *  3600 s. */
    sealBatch?: { maxSignatures: number; seconds: number };
    /** Pending asynchronous authorizations expire after this. Absent: 300. */
    approvalLifetimeSeconds?: number;
    /** Activation links expire after this (ACTIVATION_LINK_HOURS). Absent: 24 hours. */
    activationLifetimeSeconds?: number;
    /** Time-stamping (CSC v2 §11.13, checkpoints): an external TSA at `url`, else the SAM's own. Absent: own TSA,
     *  default policy. */
    tsa?: { url?: string; policyOid?: string; timeoutSeconds: number };
    /** CRL_NEXT_UPDATE_HOURS. Absent: 168. */
    crlNextUpdateHours?: number;
    /** CRL_URL: the CRL distribution point of the certificates the development CA issues. Absent: none. */
    crlUrl?: string;
    /** CA_CERTIFICATE_POLICIES: what the development CA may issue under (sam/ca/dev_ca.ts). Absent: none. */
    certificatePolicies?: string[];
    /** Delivery of out-of-band messages; a channel without an adapter goes to the development outbox. */
    notify: {
      smtp?: {
        host: string;
        port: number;
        secure: boolean;
        requireTls: boolean;
        /** false only for a test server with a self-signed certificate. */
        rejectUnauthorized: boolean;
        user?: string;
        password?: string;
        from: string;
      };
      sms?: { url: string; method: 'POST' | 'PUT' | 'GET'; headers: Record<string, string>; bodyTemplate: string };
    };
    /** The SAM's audit trail and its checkpoints (sam/audit/). */
    audit: { checkpointRecords: number; checkpointMinutes: number; anchorFile: string };
  };
  admin: { token?: string; listen?: { host: string; port: number } };
  /** Deletion of expired single-use rows (core/purge.ts); intervalSeconds 0: off. */
  purge: { intervalSeconds: number; afterSeconds: number };
  /** Throttling (core/policy.ts). */
  policy: {
    rateWindowSeconds: number;
    loginPerIp: number;
    authorizePerClient: number;
    authorizePerIp: number;
    oauthPerIp: number;
    oauthPerClient: number;
    signPerClient: number;
    pollPerClient: number;
  };
  /** The CSC API (rssp/): what `info` publishes, signDoc's bound and asynchronous signing. */
  rssp: {
    /** What CSC `info` publishes about the service (CSC v2 §11.1). */
    service: { name: string; region: string; description: string; logoUrl: string };
    signDoc: { maxDocumentBytes: number };
    /** Default lifetime of a one-time certificate (CSC v2.2), seconds (ONE_TIME_VALIDITY_SECONDS). Absent: 900. */
    oneTimeValiditySeconds?: number;
    /** DPoP at the CSC API (RFC 9449 §7): the iat window of a proof, which is also how long its jti is remembered. */
    dpop: { proofWindowSeconds: number };
    /** Asynchronous signing (operationMode "A", CSC v2 §11.10, §11.12; rssp/jobs/). */
    async: {
      queue: string;
      validityDefaultMs: number;
      validityMaxMs: number;
      concurrency: number;
      pollIntervalMs: number;
      leaseSeconds: number;
      maxAttempts: number;
      /** publicOnly: deliveries reach public addresses only (production), never the service's own network. */
      callback: { maxAttempts: number; backoffMs: number; timeoutMs: number; publicOnly: boolean };
    };
  };
  authz: {
    serviceTokenLifetimeSeconds: number;
    refreshTokenLifetimeSeconds: number;
    loginMaxFailures: number;
    credentialTokenLifetimeSeconds: number;
    requirePar: boolean;
    /** FAPI 2.0 for every client (OAUTH_REQUIRE_FAPI2), not only for those registered with it. */
    requireFapi2: boolean;
    /** DPoP server nonces at the token and PAR endpoints (OAUTH_DPOP_NONCE). */
    dpopNonce: boolean;
    /** CA_CERTIFICATE_POLICIES again, for the RAR credential_creation check (management_request.ts). A copy of the
     *  SAM's list rather than a read of the sam section: authz must never be handed that section (PART_KEYS), and
     *  refusing at oauth2/authorize tells the client before the person consents and before a token is spent, which
     *  a check only at credentials/create could not. The SAM checks its own list again before it makes a key. */
    certificatePolicies: string[];
  };
};

/**
 * What each front door receives (issue #15): its own section and the few shared values it reads, nothing else. Only
 * the SAM's holds `sam` (the token PIN, the mail and SMS passwords); rssp, authz and admin are typed against their
 * own, and service.ts hands each a copy of just these keys (configFor), so the secrets are not even in their reach at
 * run time. `purge` is the shared retention of expired rows; `dataDir` the place of development state.
 */
export const PART_KEYS = {
  sam: ['sam', 'env', 'dataDir', 'purge'],
  authz: ['authz', 'env', 'publicUrl', 'purge'],
  rssp: ['rssp', 'env', 'publicUrl'],
  admin: ['admin', 'env', 'publicUrl', 'dataDir', 'runtimeMetrics'],
} as const satisfies Record<string, readonly (keyof Config)[]>;

export type Part = keyof typeof PART_KEYS;
export type PartConfig<P extends Part> = Pick<Config, (typeof PART_KEYS)[P][number]>;
export type SamConfig = PartConfig<'sam'>;
export type AuthzConfig = PartConfig<'authz'>;
export type RsspConfig = PartConfig<'rssp'>;
export type AdminConfig = PartConfig<'admin'>;

/** A new object holding only the keys of `part`. */
export function configFor<P extends Part>(config: Config, part: P): PartConfig<P> {
  return Object.fromEntries(PART_KEYS[part].map((k) => [k, config[k]])) as PartConfig<P>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function secret(value: string | undefined, file: string | undefined, name: string): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError(`set ${name} or ${name}_FILE, not both`);
  if (file === undefined) return value;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** SMS_GATEWAY_HEADERS: a JSON object of string values. */
function parseHeaders(json: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigError('SMS_GATEWAY_HEADERS: not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new ConfigError('SMS_GATEWAY_HEADERS: must be a JSON object of strings');
  }
  return value as Record<string, string>;
}

/** A comma-separated list of dotted OIDs (spaces around the commas allowed), each once. */
export function parseOidList(name: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const oids = value.split(',').map((s) => s.trim());
  for (const oid of oids) if (!DOTTED_OID.test(oid)) throw new ConfigError(`${name}: ${JSON.stringify(oid)} is not a dotted OID`);
  return [...new Set(oids)];
}

export function findSoftHsm(exists: (p: string) => boolean): string | undefined {
  return SOFTHSM_PATHS.find(exists);
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`DATABASE_URL=` in a compose file) means unset.
  const env = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const certificatePolicies = parseOidList('CA_CERTIFICATE_POLICIES', e.CA_CERTIFICATE_POLICIES);
  const config: Config = {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY,
    publicUrl,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'warn' : 'info'),
    runtimeMetrics: e.RUNTIME_METRICS === '1',
    clusterWorkers: e.CLUSTER_WORKERS,
    services: e.SERVICES,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    split: e.SERVICES === 'all' ? undefined : splitConfig(e),
    db: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    kv: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX },
    sam: {
      module: e.PKCS11_MODULE,
      tokenLabel: e.SAM_TOKEN_LABEL,
      pin: secret(e.SAM_PIN, e.SAM_PIN_FILE, 'SAM_PIN'),
      sessions: e.SAM_SESSIONS ?? Number(env.UV_THREADPOOL_SIZE ?? 4),
      sadLifetimeSeconds: e.SAD_LIFETIME_SECONDS,
      maxFailures: e.MAX_FACTOR_FAILURES,
      factorFailureFloorMs: e.FACTOR_FAILURE_FLOOR_MS,
      pinScryptLog2N: e.PIN_SCRYPT_LOG2N,
      otpChallenge: {
        digits: e.OTP_DIGITS,
        lifetimeSeconds: e.OTP_LIFETIME_SECONDS,
        max: e.OTP_CHALLENGE_MAX,
        windowSeconds: e.OTP_CHALLENGE_WINDOW_SECONDS,
      },
      sadMaxTransactionSeconds: e.SAD_MAX_TRANSACTION_SECONDS,
      sealBatch: { maxSignatures: e.SEAL_BATCH_MAX_SIGNATURES, seconds: e.SEAL_BATCH_SECONDS },
      approvalLifetimeSeconds: e.ASYNC_APPROVAL_LIFETIME_SECONDS,
      activationLifetimeSeconds: Math.round(e.ACTIVATION_LINK_HOURS * 3600),
      tsa: { url: e.TSA_URL, policyOid: e.TSA_POLICY_OID, timeoutSeconds: e.TSA_TIMEOUT_SECONDS },
      crlNextUpdateHours: e.CRL_NEXT_UPDATE_HOURS,
      crlUrl: e.CRL_URL ?? (e.PUBLIC_URL !== undefined || e.SERVICES === 'all' ? `${publicUrl}${CRL_PATH}` : undefined),
      certificatePolicies,
      notify: {
        ...(e.SMTP_HOST
          ? {
              smtp: {
                host: e.SMTP_HOST,
                port: e.SMTP_PORT,
                secure: e.SMTP_SECURE,
                requireTls: e.SMTP_REQUIRE_TLS,
                rejectUnauthorized: e.SMTP_TLS_REJECT_UNAUTHORIZED,
                user: e.SMTP_USER,
                password: secret(e.SMTP_PASSWORD, e.SMTP_PASSWORD_FILE, 'SMTP_PASSWORD'),
                from: e.SMTP_FROM,
              },
            }
          : {}),
        ...(e.SMS_GATEWAY_URL
          ? {
              sms: {
                url: e.SMS_GATEWAY_URL,
                method: e.SMS_GATEWAY_METHOD,
                headers: parseHeaders(e.SMS_GATEWAY_HEADERS),
                bodyTemplate: e.SMS_GATEWAY_BODY,
              },
            }
          : {}),
      },
      audit: {
        checkpointRecords: e.AUDIT_CHECKPOINT_RECORDS,
        checkpointMinutes: e.AUDIT_CHECKPOINT_MINUTES,
        anchorFile: path.resolve(e.AUDIT_ANCHOR_FILE ?? path.join(e.DATA_DIR, 'audit-anchors.jsonl')),
      },
    },
    admin: { token: secret(e.ADMIN_TOKEN, e.ADMIN_TOKEN_FILE, 'ADMIN_TOKEN'), listen: e.ADMIN_LISTEN ? parseListen('ADMIN_LISTEN', e.ADMIN_LISTEN) : undefined },
    purge: { intervalSeconds: e.PURGE_INTERVAL_SECONDS, afterSeconds: e.PURGE_AFTER_SECONDS },
    policy: {
      rateWindowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      loginPerIp: e.LOGIN_RATE_PER_IP,
      authorizePerClient: e.AUTHORIZE_RATE_PER_CLIENT,
      authorizePerIp: e.AUTHORIZE_RATE_PER_IP,
      oauthPerIp: e.OAUTH_RATE_PER_IP,
      oauthPerClient: e.OAUTH_RATE_PER_CLIENT,
      signPerClient: e.SIGN_RATE_PER_CLIENT,
      pollPerClient: e.POLL_RATE_PER_CLIENT,
    },
    rssp: {
      service: {
        name: e.SERVICE_NAME,
        region: e.SERVICE_REGION,
        description: e.SERVICE_DESCRIPTION,
        logoUrl: e.SERVICE_LOGO_URL ?? `${publicUrl}/csc/v2/logo.png`,
      },
      signDoc: { maxDocumentBytes: e.SIGNDOC_MAX_DOCUMENT_BYTES },
      oneTimeValiditySeconds: e.ONE_TIME_VALIDITY_SECONDS,
      dpop: { proofWindowSeconds: e.DPOP_PROOF_WINDOW_SECONDS },
      async: {
        queue: e.ASYNC_QUEUE,
        validityDefaultMs: e.ASYNC_VALIDITY_DEFAULT_MS,
        validityMaxMs: e.ASYNC_VALIDITY_MAX_MS,
        concurrency: e.ASYNC_WORKER_CONCURRENCY,
        pollIntervalMs: e.ASYNC_POLL_INTERVAL_MS,
        leaseSeconds: e.ASYNC_LEASE_SECONDS,
        maxAttempts: e.ASYNC_MAX_ATTEMPTS,
        callback: { maxAttempts: e.CALLBACK_MAX_ATTEMPTS, backoffMs: e.CALLBACK_BACKOFF_MS, timeoutMs: e.CALLBACK_TIMEOUT_MS, publicOnly: e.NODE_ENV === 'production' },
      },
    },
    authz: {
      serviceTokenLifetimeSeconds: e.SERVICE_TOKEN_LIFETIME_SECONDS,
      refreshTokenLifetimeSeconds: e.REFRESH_TOKEN_LIFETIME_SECONDS,
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      credentialTokenLifetimeSeconds: e.OAUTH_CREDENTIAL_TOKEN_LIFETIME_SECONDS,
      requirePar: e.OAUTH_REQUIRE_PAR,
      requireFapi2: e.OAUTH_REQUIRE_FAPI2,
      dpopNonce: e.OAUTH_DPOP_NONCE,
      certificatePolicies: [...certificatePolicies],
    },
  };
  if (config.clusterWorkers > 1 && (!config.db.url || !config.kv.url)) {
    throw new ConfigError('CLUSTER_WORKERS > 1 needs DATABASE_URL and REDIS_URL: the embedded stores live in one process');
  }
  if (config.rssp.async.validityDefaultMs > config.rssp.async.validityMaxMs) {
    throw new ConfigError('ASYNC_VALIDITY_DEFAULT_MS must not be above ASYNC_VALIDITY_MAX_MS');
  }
  if (config.env === 'production') refuseDevelopmentDefaults(config, e);
  return config;
}

function parseListen(name: string, value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:([0-9]+)$/.exec(value)!;
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${name}: port above 65535`);
  return { host: m[1]!, port };
}

const LOOPBACK = /^(127\.[0-9.]+|::1|localhost)$/;

function readPem(name: string, file: string | undefined): string {
  if (!file) throw new ConfigError(`SERVICES=sam and SERVICES=api need ${name} (a PEM file; see tls:dev in admin/README.md)`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** SERVICES=sam|api: both sides authenticate each other with certificates of one CA; both share PostgreSQL. */
function splitConfig(e: Env): NonNullable<Config['split']> {
  if (!e.DATABASE_URL) throw new ConfigError('SERVICES=sam and SERVICES=api need DATABASE_URL: the embedded database lives in one process');
  if (e.SERVICES === 'api') {
    if (!e.SAM_URL) throw new ConfigError('SERVICES=api needs SAM_URL (the SAM\'s https URL)');
    if (!e.SAM_URL.startsWith('https://')) throw new ConfigError('SAM_URL must be https: the api tier reaches the SAM with mutual TLS only');
  }
  return {
    samUrl: e.SAM_URL,
    samListen: parseListen('SAM_LISTEN', e.SAM_LISTEN),
    tls: { ca: readPem('SAM_TLS_CA', e.SAM_TLS_CA), cert: readPem('SAM_TLS_CERT', e.SAM_TLS_CERT), key: readPem('SAM_TLS_KEY', e.SAM_TLS_KEY) },
  };
}

/** Production never runs on an embedded default or a generated secret: each would be lost or guessable. */
function refuseDevelopmentDefaults(c: Config, e: Env): void {
  const missing: string[] = [];
  if (!c.db.url) missing.push('DATABASE_URL (embedded PGlite is for development only)');
  if (!c.kv.url && c.services !== 'sam') missing.push('REDIS_URL (the in-process store is for development only)');
  if (!c.sam.module && c.services !== 'api') missing.push('PKCS11_MODULE (the auto-initialised SoftHSM token is for development only)');
  if (!c.sam.pin && c.services !== 'api') missing.push('SAM_PIN or SAM_PIN_FILE (a generated token PIN is for development only)');
  if (c.services !== 'sam' && !c.admin.listen) missing.push('ADMIN_LISTEN (a loopback host:port: the admin API sets factors and must not share the public port)');
  else if (c.services !== 'sam' && !LOOPBACK.test(c.admin.listen!.host)) missing.push('ADMIN_LISTEN on a loopback address (127.0.0.1 or ::1): the admin API is reached from the host only');
  if (!c.admin.token && c.services !== 'sam') missing.push('ADMIN_TOKEN or ADMIN_TOKEN_FILE (a generated admin token is for development only)');
  if (e.ONE_TIME_VALIDITY_SECONDS < 60) missing.push('ONE_TIME_VALIDITY_SECONDS of 60 or more (a shorter one-time certificate is for tests of its expiry only)');
  if (e.PIN_SCRYPT_LOG2N < 15) missing.push('PIN_SCRYPT_LOG2N of 15 or more (a cheaper PIN hash is for benchmarks only)');
  // The SAM alone serves no public URL and uses no Redis.
  if (c.services !== 'sam' && !e.PUBLIC_URL) missing.push('PUBLIC_URL (must be the external https URL)');
  else if (c.services !== 'sam' && !e.PUBLIC_URL!.startsWith('https://')) missing.push('PUBLIC_URL must use https in production (CSC v2 §7.3)');
  // Mailed one-time passwords are a signing factor: never in clear text, never to an unauthenticated server
  // (issue #14 finding 7).
  if (e.SMTP_HOST && !e.SMTP_SECURE && !e.SMTP_REQUIRE_TLS) missing.push('SMTP_REQUIRE_TLS=true or SMTP_SECURE=true (one-time passwords must not be mailed in clear text)');
  if (e.SMTP_HOST && !e.SMTP_TLS_REJECT_UNAUTHORIZED) missing.push('SMTP_TLS_REJECT_UNAUTHORIZED=true (an unverified mail server could read one-time passwords)');
  // The SAM sends one-time passwords, approval links and activation links (the user's PIN is chosen on the last): without
  // an adapter they land in the outbox file, readable by whoever administers the host (issue #14 finding 1).
  if (c.services !== 'api' && !e.SMTP_HOST && !e.SMS_GATEWAY_URL) {
    missing.push('SMTP_HOST or SMS_GATEWAY_URL (one-time passwords and activation links must not fall back to the outbox file)');
  }
  if (missing.length) {
    throw new ConfigError(`NODE_ENV=production refuses development defaults; set:\n  ${missing.join('\n  ')}`);
  }
}
