// The HTML of the interaction pages: labelled fields, escaping, the language choice of CSC v2 §8.4.2 lang.
import { describe, expect, it } from 'vitest';
import { fingerprint, loginPage, pickLang, signaturePage } from '../../../authz/pages/render.ts';

describe('interaction pages', () => {
  it('label every field and escape whatever comes from clients and certificates', () => {
    const html = signaturePage({
      lang: 'en',
      action: '/oauth2/interaction/u1/confirm',
      csrf: 'c"sr<f',
      clientName: '<script>alert(1)</script>',
      subjectDN: 'CN=Alice & Co',
      issuerDN: 'CN=Dev CA',
      algorithm: 'ECDSA P-256',
      numSignatures: 1,
      documents: [{ label: '"Contract"', hash: new Uint8Array(32).fill(0xab) }],
      error: 'The PIN or one-time password is wrong.',
    });
    expect(html).toContain('<label for="pin">PIN</label>');
    expect(html).toContain('<label for="otp">One-time password</label>');
    expect(html).toContain('>Authorize signature</button>');
    expect(html).toContain('>Cancel</button>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('CN=Alice &amp; Co');
    expect(html).toContain('value="c&quot;sr&lt;f"');
    expect(html).toContain(`&quot;Contract&quot; — <code>${'ABAB '.repeat(15)}ABAB</code>`);
    expect(html).toContain('<p role="alert" id="form-error">The PIN or one-time password is wrong.</p>');
    const login = loginPage({ lang: 'en', action: '/a', csrf: 'x', clientName: 'App' });
    expect(login).toContain('<label for="username">Username</label>');
    expect(login).toContain('<label for="password">Password</label>');
    expect(login).toContain('<button type="submit">Sign in</button>');
  });

  it('speak French when lang or Accept-Language asks for it, English otherwise', () => {
    expect(pickLang('fr-BE')).toBe('fr');
    expect(pickLang('de')).toBe('en');
    expect(pickLang(undefined, 'fr-FR,fr;q=0.9,en;q=0.8')).toBe('fr');
    expect(pickLang(undefined, 'de-DE,en;q=0.5')).toBe('en');
    expect(pickLang('en', 'fr')).toBe('en');
    const login = loginPage({ lang: 'fr', action: '/a', csrf: 'x', clientName: 'App' });
    expect(login).toContain('<html lang="fr">');
    expect(login).toContain('<button type="submit">Se connecter</button>');
  });

  it('shows the whole hash in groups of four hex digits', () => {
    expect(fingerprint(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe('0001 0203 0405 0607 0809');
    expect(fingerprint(Uint8Array.from([0xab, 0xcd, 0xef]))).toBe('ABCD EF');
  });
});
