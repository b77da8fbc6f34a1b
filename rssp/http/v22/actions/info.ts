// CSC v2.2 info: the v2.0 self-description (rssp/http/actions/info.ts) with specs "2.2.0.0" and the fields v2.2 clients
// read (the EUDI rQES library's RSSP metadata). Every value follows from what the service does, not from a constant
// that could drift: the method list, the algorithms of core/algorithms.ts, the formats registered for signDoc.
import type { RsspConfig } from '../../../../core/config.ts';
import { serviceInfo } from '../../actions/info.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { respond } from '../../steps/respond.ts';
import { validateBody } from '../../steps/validate_body.ts';
import type { Action } from '../../step.ts';
import { V22_METHODS } from '../methods.ts';
import { signDocOffer } from '../sign_doc_offer.ts';

const CSC_V22_SPECS = '2.2.0.0';

export function serviceInfoV22(config: RsspConfig, methods: readonly string[] = V22_METHODS) {
  // oauth2/oauth2Issuer dropped: v2.2 clients take exactly one of the two (the EUDI library refuses both).
  const { specs: _v20, oauth2: _base, oauth2Issuer, asynchronousOperationMode: _async, methods: _v20methods, signature_formats: _f, conformance_levels: _c, ...common } =
    serviceInfo(config);
  const oauth = common.authType.some((t) => t === 'oauth2code' || t === 'oauth2client');
  return {
    specs: CSC_V22_SPECS,
    ...common,
    // The issuer form: RFC 8414 metadata at {issuer}/.well-known/oauth-authorization-server names every endpoint.
    ...(oauth ? { oauth2Issuer } : {}),
    // The authorization server takes RFC 9396 authorization_details of type "credential" (v2.0 name) and
    // "https://cloudsignatureconsortium.org/2025/credential" (v2.2 name), and v2.2's credential_creation and
    // credential_deletion (with their URI names), wherever it takes OAuth requests.
    supportsRar: oauth,
    // ETSI TS 119 432 §7.2: FAPI 2.0 is offered wherever OAuth is: a client registered as FAPI client (or every
    // client under OAUTH_REQUIRE_FAPI2) authenticates with private_key_jwt, pushes its requests and gets
    // DPoP-bound tokens, which every CSC method checks (authz/oauth/fapi.ts, rssp/http/steps/dpop.ts).
    oauth2FAPIsupport: oauth,
    // signHash signs the digest it is given, the hash of the data to be signed representation (DTBS/R): it never
    // sees, builds or re-hashes a document.
    supportedHashTypes: ['dtbsr'],
    // Asynchronous signing is signatures/signPolling (CSC v2 §11.12): offered exactly when that method is served.
    asynchronousOperationMode: methods.includes('signatures/signPolling'),
    methods: [...methods],
    // validationInfo is a signDoc output (§11.11 returnValidationInfo), returned whenever asked for.
    validationInfo: methods.includes('signatures/signDoc'),
    ...signDocOffer(methods),
  };
}

export const infoV22: Action = [
  readJsonBody(),
  validateBody('info'),
  respond((_ctx, deps) => serviceInfoV22(deps.config)),
];
