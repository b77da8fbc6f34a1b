// A refusal of an authorization request's CSC part, with the OAuth error code it is reported under (provider.ts maps
// it to oidc-provider's error classes). Its own file so that both request parsers (credential_request.ts,
// management_request.ts) can throw it without importing each other.
export class CredentialRequestError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_authorization_details' | 'invalid_scope',
    readonly description: string,
  ) {
    super(description);
    this.name = 'CredentialRequestError';
  }
}
