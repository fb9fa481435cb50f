// as-pect 8 configuration for the core's unit specs (test/spec/**).
//
// Compiler options come from test/spec/as-pect.asconfig.json, passed with -a
// by `npm run test:as`: as-pect's --init template plus "runtime": "minimal",
// the release build's runtime (nothing is collected while a spec runs, so a
// failing expectation prints the value it was given).

export default {
  /** Spec files; each is compiled into its own module. */
  entries: ["test/spec/**/*.spec.ts"],
  /** Files added to every compilation (none yet; the pattern keeps as-pect from using its default). */
  include: ["test/spec/**/*.include.ts"],
  disclude: [/node_modules/],
  /**
   * Specs import only the pure modules (cbor, json, util, header, claims,
   * result), none of which reaches assembly/host.ts, so the modules need no
   * `env` imports beyond what as-pect provides.
   */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
