// Runs Binaryen's standard -O3 pipeline once more over the release module
// (scripts/reoptimize.mjs <in.wasm> [<out.wasm>], in place by default), for
// two things asc does not do:
// - asc caps inlining of functions called from one place at 80 bytes (200 at
//   shrinkLevel 0), and Binaryen's own default has no cap. A function with one
//   caller costs a call, a frame and its own header; as part of its caller it
//   costs none of them. Under wasm3 every call costs about 110 host
//   instructions, so this takes both bytes and time off the module.
// - functions are renumbered by how often they are called (reorder-functions),
//   so the most called take one-byte indices in every call.
// docs/performance.md, "Update: Mac0 within the target, optimizing once more". The features are asc's own
// defaults, so nothing the hosts cannot run is introduced.
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output = input] = process.argv.slice(2);
const before = readFileSync(input);
const module = binaryen.readBinary(before);
const F = binaryen.Features;
module.setFeatures(F.MVP | F.SignExt | F.MutableGlobals | F.BulkMemory | F.NontrappingFPToInt);
binaryen.setOptimizeLevel(3);
binaryen.setShrinkLevel(1);
binaryen.setLowMemoryUnused(true); // as asc's release build: no load or store below 1 KiB
module.optimize();
module.runPasses(['reorder-functions']);
if (!module.validate()) throw new Error('reoptimize: the optimized module does not validate');
const after = module.emitBinary();
module.dispose();
writeFileSync(output, after);
process.stderr.write(`reoptimize: ${input}: ${before.length} -> ${after.length} bytes\n`);
