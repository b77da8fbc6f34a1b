// Server-rendered pages of the authorization server (CSC v2 §8.4.2 gives the authorization server "full screen
// control"). Plain HTML forms: no script, usable with a keyboard and a screen reader (every field has a <label>,
// errors are announced with role="alert"), and styled inline so that a strict CSP (no external resources) holds.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export type Lang = 'en' | 'fr';

/** Texts per language; English is the default, and a `lang` without a translation gets it (CSC v2 §8.4.2 lang).
 *  The English labels are the accessible names the browser tests look for. */
const TEXTS = {
  en: {
    signInTitle: 'Sign in',
    signInIntro: (client: string) => `${client} asks you to sign in to the remote signing service.`,
    username: 'Username',
    password: 'Password',
    signIn: 'Sign in',
    authorizeTitle: 'Authorize signature',
    authorizeIntro: (client: string) => `${client} asks you to authorize a signature with your credential.`,
    credential: 'Credential',
    subject: 'Subject',
    issuer: 'Issuer',
    algorithm: 'Algorithm',
    numSignatures: 'Number of signatures',
    documents: 'Documents',
    document: 'Document',
    description: 'Description',
    pin: 'PIN',
    otp: 'One-time password',
    authorize: 'Authorize signature',
    cancel: 'Cancel',
    createTitle: 'Create a signing credential',
    createIntro: (client: string) =>
      `${client} asks to create one new signing credential for you: a key in the signing service and a certificate for it.`,
    createConfirm: 'Allow creation',
    deleteTitle: 'Delete a signing credential',
    deleteIntro: (client: string) => `${client} asks to delete this credential of yours. Its key is destroyed and cannot be recovered.`,
    deleteConfirm: 'Delete credential',
    errors: {
      wrongPassword: 'Wrong username or password.',
      tooManyLogins: 'Too many failed attempts. Try again later.',
      // One message for every wrong factor: which one was wrong would tell a guesser the PIN (issue #14 finding 7).
      wrongFactors: 'The PIN or one-time password is wrong.',
      factorsMissing: 'Enter your PIN and one-time password.',
      otpNotEnrolled: 'No one-time password generator is enrolled for you; contact your administrator.',
      locked: 'This credential is locked after too many wrong attempts; contact your administrator.',
    },
  },
  fr: {
    signInTitle: 'Connexion',
    signInIntro: (client: string) => `${client} vous demande de vous connecter au service de signature à distance.`,
    username: "Nom d'utilisateur",
    password: 'Mot de passe',
    signIn: 'Se connecter',
    authorizeTitle: 'Autoriser la signature',
    authorizeIntro: (client: string) => `${client} vous demande d'autoriser une signature avec votre certificat.`,
    credential: 'Certificat',
    subject: 'Titulaire',
    issuer: 'Émetteur',
    algorithm: 'Algorithme',
    numSignatures: 'Nombre de signatures',
    documents: 'Documents',
    document: 'Document',
    description: 'Description',
    pin: 'Code PIN',
    otp: 'Mot de passe à usage unique',
    authorize: 'Autoriser la signature',
    cancel: 'Annuler',
    createTitle: 'Créer un certificat de signature',
    createIntro: (client: string) =>
      `${client} demande à créer pour vous un nouveau certificat de signature : une clé dans le service de signature et son certificat.`,
    createConfirm: 'Autoriser la création',
    deleteTitle: 'Supprimer un certificat de signature',
    deleteIntro: (client: string) => `${client} demande à supprimer ce certificat. Sa clé est détruite et ne pourra pas être récupérée.`,
    deleteConfirm: 'Supprimer le certificat',
    errors: {
      wrongPassword: "Nom d'utilisateur ou mot de passe incorrect.",
      tooManyLogins: 'Trop de tentatives échouées. Réessayez plus tard.',
      wrongFactors: 'Le code PIN ou le mot de passe à usage unique est incorrect.',
      factorsMissing: 'Saisissez votre code PIN et votre mot de passe à usage unique.',
      otpNotEnrolled: "Aucun générateur de mots de passe à usage unique n'est enregistré pour vous ; contactez votre administrateur.",
      locked: 'Ce certificat est bloqué après trop de tentatives erronées ; contactez votre administrateur.',
    },
  },
} as const;

export type ErrorKey = keyof (typeof TEXTS)['en']['errors'];

export const errorText = (lang: Lang, key: ErrorKey): string => TEXTS[lang].errors[key];

/** CSC v2 §8.4.2 lang: the `lang` parameter (RFC 5646), else the browser's Accept-Language, else English. */
export function pickLang(requested: unknown, acceptLanguage = ''): Lang {
  const primary = (tag: string) => tag.trim().toLowerCase().split(/[-_;]/)[0];
  if (typeof requested === 'string' && requested !== '') return primary(requested) === 'fr' ? 'fr' : 'en';
  for (const part of acceptLanguage.split(',')) {
    const p = primary(part);
    if (p === 'fr' || p === 'en') return p;
  }
  return 'en';
}

export const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#111}
label{display:block;margin-top:1rem;font-weight:600}input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}
button{font-size:1rem;padding:.5rem 1rem;margin:1.2rem .5rem 0 0}[role=alert]{color:#a00;font-weight:600}
dt{font-weight:600}dd{margin:0 0 .5rem 0}code{font-size:.95em;word-break:break-all}.qr svg{width:10rem;height:10rem}`;

/** Double-submit CSRF for pages reached by a link rather than an oidc-provider interaction (activation, approval): a
 *  random value set in a SameSite=Strict, HttpOnly cookie and in the form, compared in constant time. */
export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

export function csrfTokensMatch(cookie: string | undefined, sent: string | null): boolean {
  if (!cookie || !sent) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function page(lang: Lang, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

function alert(error?: string): string {
  return error ? `<p role="alert" id="form-error">${esc(error)}</p>` : '';
}

export function loginPage(v: { lang: Lang; action: string; csrf: string; clientName: string; username?: string; error?: string }): string {
  const t = TEXTS[v.lang];
  return page(
    v.lang,
    t.signInTitle,
    `<h1>${esc(t.signInTitle)}</h1>
<p>${esc(t.signInIntro(v.clientName))}</p>
${alert(v.error)}
<form method="post" action="${esc(v.action)}" autocomplete="on">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">${esc(t.username)}</label>
<input id="username" name="username" autocomplete="username" required value="${esc(v.username ?? '')}"${v.error ? ' aria-describedby="form-error"' : ''}>
<label for="password">${esc(t.password)}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">${esc(t.signIn)}</button>
</form>`,
  );
}

/** A document's whole hash in hex groups of four, so that a person can compare every byte with what the signature
 *  application shows (a prefix alone could be matched by a second document made for the purpose). */
export function fingerprint(hash: Uint8Array): string {
  const hex = Buffer.from(hash).toString('hex').toUpperCase();
  return hex.match(/.{1,4}/g)?.join(' ') ?? '';
}

export type SignatureView = {
  lang: Lang;
  action: string;
  csrf: string;
  clientName: string;
  subjectDN: string;
  issuerDN: string;
  algorithm: string;
  numSignatures: number;
  documents: { label?: string; hash: Uint8Array }[];
  description?: string;
  error?: string;
};

export function signaturePage(v: SignatureView): string {
  const t = TEXTS[v.lang];
  const docs = v.documents.length
    ? `<h2>${esc(t.documents)}</h2><ul>${v.documents
        .map((d, i) => `<li>${esc(d.label ?? `${t.document} ${i + 1}`)} — <code>${esc(fingerprint(d.hash))}</code></li>`)
        .join('')}</ul>`
    : '';
  return page(
    v.lang,
    t.authorizeTitle,
    `<h1>${esc(t.authorizeTitle)}</h1>
<p>${esc(t.authorizeIntro(v.clientName))}</p>
${v.description ? `<p><strong>${esc(t.description)}:</strong> ${esc(v.description)}</p>` : ''}
<h2>${esc(t.credential)}</h2>
<dl><dt>${esc(t.subject)}</dt><dd>${esc(v.subjectDN)}</dd><dt>${esc(t.issuer)}</dt><dd>${esc(v.issuerDN)}</dd>
<dt>${esc(t.algorithm)}</dt><dd>${esc(v.algorithm)}</dd><dt>${esc(t.numSignatures)}</dt><dd>${v.numSignatures}</dd></dl>
${docs}
${alert(v.error)}
<form method="post" action="${esc(v.action)}" autocomplete="off">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="pin">${esc(t.pin)}</label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off"${v.error ? ' aria-describedby="form-error"' : ''}>
<label for="otp">${esc(t.otp)}</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code"${v.error ? ' aria-describedby="form-error"' : ''}>
<button type="submit" name="action" value="authorize">${esc(t.authorize)}</button>
<button type="submit" name="action" value="cancel">${esc(t.cancel)}</button>
</form>`,
  );
}

export type ManagementView = {
  lang: Lang;
  action: string;
  csrf: string;
  clientName: string;
  /** CSC v2.2 RAR credential_creation or credential_deletion (authz/oauth/management_request.ts). */
  kind: 'create' | 'delete';
  /** The credential to delete. */
  credential?: { subjectDN: string; issuerDN: string; algorithm: string };
};

/** The confirmation of a credential creation or deletion: no factor is asked (the sign-in was), only a deliberate
 *  choice, since the token it leads to allows that one call. */
export function managementPage(v: ManagementView): string {
  const t = TEXTS[v.lang];
  const create = v.kind === 'create';
  const c = v.credential;
  return page(
    v.lang,
    create ? t.createTitle : t.deleteTitle,
    `<h1>${esc(create ? t.createTitle : t.deleteTitle)}</h1>
<p>${esc(create ? t.createIntro(v.clientName) : t.deleteIntro(v.clientName))}</p>
${c ? `<h2>${esc(t.credential)}</h2>
<dl><dt>${esc(t.subject)}</dt><dd>${esc(c.subjectDN)}</dd><dt>${esc(t.issuer)}</dt><dd>${esc(c.issuerDN)}</dd>
<dt>${esc(t.algorithm)}</dt><dd>${esc(c.algorithm)}</dd></dl>` : ''}
<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<button type="submit" name="action" value="authorize">${esc(create ? t.createConfirm : t.deleteConfirm)}</button>
<button type="submit" name="action" value="cancel">${esc(t.cancel)}</button>
</form>`,
  );
}
