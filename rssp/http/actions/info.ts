// CSC v2 §11.1 info: what this service is and what it offers. No authorization; the body may be empty.
import { SIGN_ALGOS } from '../../../core/algorithms.ts';
import type { RsspConfig } from '../../../core/config.ts';
import { SERVICE_LANG } from '../../app/credential_view.ts';
import { FORMATS, offeredLevels } from '../../signdoc/formats.ts';
import { IMPLEMENTED_METHODS } from '../methods.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { respond } from '../steps/respond.ts';
import { validateBody } from '../steps/validate_body.ts';
import type { Action } from '../step.ts';

/** The version of the specification implemented, Major.Minor.x.y (CSC v2 §11.1 specs). */
const CSC_SPECS = '2.0.0.2';

export function serviceInfo(config: RsspConfig) {
  return {
    specs: CSC_SPECS,
    name: config.rssp.service.name,
    logo: config.rssp.service.logoUrl,
    region: config.rssp.service.region,
    // Only one language; a `lang` asking for another gets this one, as §11.1 allows.
    lang: SERVICE_LANG,
    description: config.rssp.service.description,
    // Service authorization by auth/login with HTTP Basic (§11.2) or by the OAuth 2.0 authorization code flow
    // (§8.4). §11.1 asks for oauth2 or oauth2Issuer as soon as OAuth is offered; both are given: the base URI to
    // which "oauth2/authorize" etc. are appended, and the RFC 8414 issuer of the same server.
    // "oauth2client": organisations that own e-seals use the client credentials grant (§8.5.2.2).
    authType: ['basic', 'oauth2code', 'oauth2client'],
    oauth2: `${config.publicUrl}/`,
    oauth2Issuer: config.publicUrl,
    // signHash takes operationMode "A" (§11.10): the request becomes a job, collected with signatures/signPolling
    // (§11.12) or POSTed to response_uri (rssp/jobs/).
    asynchronousOperationMode: true,
    methods: [...IMPLEMENTED_METHODS],
    signAlgorithms: { algos: Object.keys(SIGN_ALGOS) },
    // What signatures/signDoc can produce (§11.11): the formats of rssp/signdoc/formats.ts, per format (same index)
    // its envelopes, and every level some format offers, spelt as §11.1's example spells them (signDoc takes both).
    signature_formats: {
      formats: Object.values(FORMATS).map((f) => f.code),
      envelope_properties: Object.values(FORMATS).map((f) => [...f.envelopes]),
    },
    conformance_levels: offeredLevels().map((l) => l.replace(/^AdES-/, 'Ades-')),
    // signDoc returns validationInfo whenever returnValidationInfo asks for it, at every level (§11.1: also where
    // §11.11 does not require it).
    validationInfo: true,
  };
}

export const info: Action = [
  readJsonBody(),
  validateBody('info'),
  respond((_ctx, deps) => serviceInfo(deps.config)),
];
