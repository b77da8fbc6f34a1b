// A dotted object identifier as the service accepts it anywhere (hash and signature algorithms, certificate and
// time-stamp policies): a first arc of 0, 1 or 2, then 1 to 20 arcs without leading zeros, each at most ten digits
// (X.660 §7; bounded so that no input can make the pattern or a later ASN.1 encoder work hard).
export const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]{0,9})){1,20}$/;
