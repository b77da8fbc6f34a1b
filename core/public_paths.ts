// Paths the api serves that other parts name in what they issue: the configuration derives a default URL from them.

/** The development CA's CRL (rssp/http/ca_routes.ts), named as CRL distribution point by CRL_URL's default. */
export const CRL_PATH = '/ca/crl';
