// Mutation runs compare every mutant against the same inputs: fast-check's properties (the frame
// fuzzer, the compiled-machine tables) draw from one fixed seed here, not a new one per run.
import fc from 'fast-check';

fc.configureGlobal({ seed: 6455 });
