// as-pect 8 configuration for the core's unit specs (test/spec/**).
//
// Compiler options come from test/spec/as-pect.asconfig.json, passed with -a
// by `npm run test:as`: as-pect's --init template plus "runtime": "minimal",
// the release build's runtime (nothing is collected while a spec runs, so a
// failing expectation prints the value it was given).

// Specs that reach assembly/host.ts (the token and packet pipelines) get the
// TS host's own imports (src/host/core.ts hostImports) with real crypto:
// the same glue the Verifier uses, built by `npm run build:ts` before
// `npm run test:as` (npm test runs both in that order).
let hostImports, KeyTable, crypto;
try {
  ({ hostImports, KeyTable } = await import("./dist/src/host/core.js"));
  crypto = await (await import("./dist/src/host/crypto.js")).fastestCrypto();
} catch (e) {
  throw new Error(`as-pect needs the TypeScript host built first (npm run build:ts): ${e.message}`);
}

export default {
  /** Spec files; each is compiled into its own module. */
  entries: ["test/spec/**/*.spec.ts"],
  /** Files added to every compilation (none yet; the pattern keeps as-pect from using its default). */
  include: ["test/spec/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    let exports;
    const env = hostImports(crypto, () => exports.memory, new KeyTable());
    const result = await instantiate(binary, createImports({ env: { memory, ...env } }));
    exports = result.exports ?? result.instance.exports;
    return result;
  },
  outputBinary: false,
};
