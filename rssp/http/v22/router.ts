// CSC v2.2 under /csc/v2.2/, beside v2.0.0.2 under /csc/v2/ (which answers exactly as before). The selection rule is
// the base path alone: a client that wants v2.2 is configured with the base URI …/csc/v2.2 and reads specs
// "2.2.0.0" from its info; …/csc/v2 keeps answering "2.0.0.2". Nothing in a request (header, field) switches versions.
//
// Every method v2.2 did not change runs the v2.0 action (CSC_V2_ROUTES), its body checked against csc-v2.2.yaml
// (validate_body.ts reads ctx.state.apiVersion); info, credentials/create and credentials/delete are v2.2's own.
import type Koa from 'koa';
import { OPENAPI_V22_YAML_PATH } from '../../../openapi/validate_v22.ts';
import type { RsspDeps } from '../deps.ts';
import { CSC_V2_EXTENSIONS, CSC_V2_ROUTES, cscBaseRoutes, LOGO } from '../router.ts';
import type { Action } from '../step.ts';
import { credentialsCreate } from './actions/credentials_create.ts';
import { credentialsDelete } from './actions/credentials_delete.ts';
import { infoV22 } from './actions/info.ts';
import { type V22Method, V22_UNIMPLEMENTED_METHODS } from './methods.ts';

const CSC_V22_PREFIX = '/csc/v2.2/';

export const CSC_V22_ROUTES: Readonly<Record<V22Method, Action>> = {
  ...CSC_V2_ROUTES,
  'info': infoV22,
  'credentials/create': credentialsCreate,
  'credentials/delete': credentialsDelete,
};

export function cscV22Routes(deps: RsspDeps): Koa.Middleware {
  return cscBaseRoutes(
    {
      prefix: CSC_V22_PREFIX,
      routes: { ...CSC_V22_ROUTES, ...CSC_V2_EXTENSIONS },
      unimplemented: V22_UNIMPLEMENTED_METHODS,
      documents: { 'openapi.yaml': { file: OPENAPI_V22_YAML_PATH, type: 'application/yaml; charset=utf-8' }, 'logo.png': LOGO },
      apiVersion: '2.2',
    },
    deps,
  );
}
