/** Every conformance case of Autobahn|Testsuite sections 1–10, in the suite's order. */
import type { ConformanceCase } from '../case.js';
import { cases as framing } from './section-01-framing.js';
import { cases as pingsAndPongs } from './section-02-pings-pongs.js';
import { cases as reservedBits } from './section-03-reserved-bits.js';
import { cases as opcodes } from './section-04-opcodes.js';
import { cases as fragmentation } from './section-05-fragmentation.js';
import { cases as utf8 } from './section-06-utf8.js';
import { cases as close } from './section-07-close.js';
import { cases as limits } from './section-09-limits.js';
import { cases as misc } from './section-10-misc.js';

export const cases: readonly ConformanceCase[] = [
  ...framing,
  ...pingsAndPongs,
  ...reservedBits,
  ...opcodes,
  ...fragmentation,
  ...utf8,
  ...close,
  ...limits,
  ...misc,
];
