// v2.2 info is derived, not written down: the asynchronous mode from the method list, signDoc's formats and levels
// from the registered formats and only with signDoc served. These pin the derivation for the day signDoc and
// signPolling land (issue #11), and what it says today.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { validateV22Response } from '../../../openapi/validate_v22.ts';
import { serviceInfo } from '../../../rssp/http/actions/info.ts';
import { serviceInfoV22 } from '../../../rssp/http/v22/actions/info.ts';
import { V22_METHODS } from '../../../rssp/http/v22/methods.ts';
import { SIGN_DOC_FORMATS, signDocOffer } from '../../../rssp/http/v22/sign_doc_offer.ts';
import { CSC_V22_ROUTES } from '../../../rssp/http/v22/router.ts';

const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://csc.example.test', SERVICE_REGION: 'BE' });
const PADES = { code: 'P' as const, envelopes: ['Certification', 'Revision'], levels: ['AdES-B-B', 'AdES-B-T'] as const };
const CADES = { code: 'C' as const, envelopes: ['Detached'], levels: ['AdES-B-B'] as const };

describe('v2.2 info', () => {
  it('today: the v2.0 methods and create/delete, asynchronous with signPolling, signDoc with its formats as v2.0 says', () => {
    const info = serviceInfoV22(config);
    expect(validateV22Response('info', 200, info)).toEqual([]);
    expect(info.methods).toEqual(V22_METHODS);
    expect(Object.keys(CSC_V22_ROUTES).sort()).toEqual([...V22_METHODS].sort());
    expect(info.methods).toContain('signatures/signPolling');
    expect(info.asynchronousOperationMode).toBe(true);
    expect(serviceInfoV22(config, V22_METHODS.filter((m) => m !== 'signatures/signPolling')).asynchronousOperationMode).toBe(false);
    const v20 = serviceInfo(config);
    expect(info.signature_formats).toEqual(v20.signature_formats);
    expect(info.conformance_levels).toEqual(v20.conformance_levels);
    expect(info.signature_formats.formats.length).toBeGreaterThan(0);
    // Formats become announced only together with signDoc: registered ones imply signDoc in the method list.
    expect(SIGN_DOC_FORMATS.length > 0).toBe(V22_METHODS.includes('signatures/signDoc' as never));
    expect(info.oauth2Issuer).toBe('https://csc.example.test');
    expect('oauth2' in info).toBe(false);
  });

  it('with signPolling served, asynchronous; with signDoc, its formats, envelopes and levels', () => {
    const methods = [...V22_METHODS, 'signatures/signDoc', 'signatures/signPolling'];
    expect(serviceInfoV22(config, methods).asynchronousOperationMode).toBe(true);
    // signDoc returns validationInfo whenever asked (§11.11 returnValidationInfo): announced with signDoc only.
    expect(serviceInfoV22(config, methods).validationInfo).toBe(true);
    expect(serviceInfoV22(config, V22_METHODS.filter((m) => m !== 'signatures/signDoc')).validationInfo).toBe(false);
    expect(signDocOffer(methods, [PADES, CADES])).toEqual({
      signature_formats: { formats: ['P', 'C'], envelope_properties: [['Certification', 'Revision'], ['Detached']] },
      conformance_levels: ['Ades-B-B', 'Ades-B-T'],
    });
    // Formats registered but signDoc not served: nothing announced.
    expect(signDocOffer(V22_METHODS.filter((m) => m !== 'signatures/signDoc'), [PADES])).toEqual({ signature_formats: { formats: [] }, conformance_levels: [] });
  });
});
