// Whether the per-token paths left garbage since the last collection. The
// minimal runtime collects only when asked (index.ts), and a collection
// visits every live object (~20,000 wasm operations with a configuration
// loaded): a verification that allocated nothing (a COSE token without
// revocations, issuers or audiences to compare) should not pay for one.
// The code that allocates there says so; JOSE's JSON trees are counted by
// the JSON reader (json.values).

let left = false;

/** Called where a token's check allocates (revocation keys, issuer and audience text). */
export function leftGarbage(): void {
  left = true;
}

/** True once since the last call that said so: the caller collects. */
export function takeGarbage(): bool {
  const was = left;
  left = false;
  return was;
}
