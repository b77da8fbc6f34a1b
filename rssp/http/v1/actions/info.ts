// CSC v1 §11.1 info: the v1 self-description. Built from the v2 one (same service, same name, logo and
// languages), with the v1 version string and the v1 method list.
import type { RsspConfig } from '../../../../core/config.ts';
import type { V1InfoResponse } from '../../../../openapi/types_v1.ts';
import { serviceInfo } from '../../actions/info.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { respond } from '../../steps/respond.ts';
import type { Action } from '../../step.ts';
import { V1_METHODS } from '../methods.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

/** The specification version served at /csc/v1. */
const CSC_V1_SPECS = '1.0.4.0';

const V1_AUTH_TYPES = new Set(['external', 'TLS', 'basic', 'digest', 'oauth2code', 'oauth2implicit', 'oauth2client']);

export function serviceInfoV1(config: RsspConfig): V1InfoResponse {
  const v2: { authType: string[]; oauth2?: string; oauth2Issuer?: string } & ReturnType<typeof serviceInfo> = serviceInfo(config);
  // v1 has `oauth2` (the authorization server's base URI) only; v2 may publish the issuer instead.
  const oauth2 = v2.oauth2 ?? v2.oauth2Issuer;
  return {
    specs: CSC_V1_SPECS,
    name: v2.name,
    logo: v2.logo,
    region: v2.region,
    lang: v2.lang,
    description: v2.description,
    authType: v2.authType.filter((t) => V1_AUTH_TYPES.has(t)) as V1InfoResponse['authType'],
    ...(oauth2 !== undefined ? { oauth2 } : {}),
    methods: [...V1_METHODS],
  };
}

export const infoV1: Action = [
  readJsonBody(),
  validateV1Body('info'),
  respond((_ctx, deps) => serviceInfoV1(deps.config)),
];
