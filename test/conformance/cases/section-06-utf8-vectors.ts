/**
 * The byte sequences of Autobahn|Testsuite cases 6.5.1–6.23.7: one text message each, sent in
 * a single frame. Most come from Markus Kuhn's UTF-8 decoder stress test; the suite numbers
 * the groups 6.5, 6.6, … and the sequences inside a group 1, 2, ….
 *
 * Each sequence is hex, marked `+` when it is well-formed UTF-8 (the server echoes it) or `-`
 * when it is not (the server fails the connection with 1007). Well-formed means RFC 3629 /
 * Unicode Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF — noncharacters
 * such as U+FFFE are well-formed.
 */

/** A group of sequences: the Autobahn subsection number and what the sequences probe. */
export interface Utf8VectorGroup {
  /** The second number of the case id: group 12 holds cases 6.12.1, 6.12.2, …. */
  subsection: number;
  /** What the group probes, used in the case titles. */
  about: string;
  /** `+hex` (well-formed) or `-hex` (ill-formed), in case order. */
  sequences: readonly string[];
}

/** Hex of every byte from `first` to `last` inclusive. */
function byteRun(first: number, last: number): string {
  let hex = '';
  for (let byte = first; byte <= last; byte += 1) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Hex of every lead byte from `first` to `last` inclusive, each followed by a space (0x20). */
function leadBytesEachFollowedBySpace(first: number, last: number): string {
  let hex = '';
  for (let byte = first; byte <= last; byte += 1) hex += `${byte.toString(16).padStart(2, '0')}20`;
  return hex;
}

/** Sequences that stop one continuation byte short (group 14; group 15 concatenates them). */
const truncatedSequences = [
  'c0', 'e080', 'f08080', 'f8808080', 'fc80808080',
  'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf',
];

/** Noncharacters U+nFFFE and U+nFFFF of the supplementary planes 1–16 (group 22). */
function supplementaryNoncharacters(): string[] {
  const hex: string[] = [];
  for (let plane = 1; plane <= 16; plane += 1) {
    for (const last of [0xfffe, 0xffff]) {
      hex.push(`+${Buffer.from(String.fromCodePoint(plane * 0x10000 + last), 'utf8').toString('hex')}`);
    }
  }
  return hex;
}

/** "κόσμε" (Greek "cosmos"), the classic sample of Kuhn's test file. */
const kosme = 'cebae1bdb9cf83cebcceb5';

export const utf8VectorGroups: readonly Utf8VectorGroup[] = [
  {
    subsection: 5,
    about: 'well-formed samples with 1- to 4-octet code points',
    sequences: [
      '+68656c6c6f24776f726c64', // hello$world
      '+68656c6c6fc2a2776f726c64', // hello¢world
      '+68656c6c6fe282ac776f726c64', // hello€world
      '+68656c6c6ff0a4ada2776f726c64', // hello U+24B62 world
      `+${kosme}`,
    ],
  },
  {
    subsection: 6,
    about: 'a prefix of "κόσμε", cut inside or between code points',
    sequences: [
      '-ce', '+ceba', '-cebae1', '-cebae1bd', '+cebae1bdb9', '-cebae1bdb9cf',
      '+cebae1bdb9cf83', '-cebae1bdb9cf83ce', '+cebae1bdb9cf83cebc', '-cebae1bdb9cf83cebcce',
      `+${kosme}`,
    ],
  },
  {
    subsection: 7,
    about: 'the lowest code point of each encoded length',
    sequences: ['+00', '+c280', '+e0a080', '+f0908080'],
  },
  {
    subsection: 8,
    about: 'the lowest 5- and 6-octet forms (beyond U+10FFFF)',
    sequences: ['-f888808080', '-fc8480808080'],
  },
  {
    subsection: 9,
    about: 'the highest code point of each encoded length',
    sequences: ['+7f', '+dfbf', '+efbfbf', '+f48fbfbf'],
  },
  {
    subsection: 10,
    about: 'the highest 4-, 5- and 6-octet forms (beyond U+10FFFF)',
    sequences: ['-f7bfbfbf', '-fbbfbfbfbf', '-fdbfbfbfbfbf'],
  },
  {
    subsection: 11,
    about: 'boundaries: below and above the surrogates, U+FFFD, U+10FFFF and one past it',
    sequences: ['+ed9fbf', '+ee8080', '+efbfbd', '+f48fbfbf', '-f4908080'],
  },
  {
    subsection: 12,
    about: 'continuation octets with no lead octet',
    sequences: [
      '-80', '-bf', '-80bf', '-80bf80', '-80bf80bf', '-80bf80bf80', '-80bf80bf80bf',
      `-${byteRun(0x80, 0xbe)}`,
    ],
  },
  {
    subsection: 13,
    about: 'lead octets each followed by a space instead of continuation octets',
    sequences: [
      `-${leadBytesEachFollowedBySpace(0xc0, 0xde)}`,
      `-${leadBytesEachFollowedBySpace(0xe0, 0xee)}`,
      `-${leadBytesEachFollowedBySpace(0xf0, 0xf6)}`,
      `-${leadBytesEachFollowedBySpace(0xf8, 0xfa)}`,
      `-${leadBytesEachFollowedBySpace(0xfc, 0xfc)}`,
    ],
  },
  {
    subsection: 14,
    about: 'a sequence missing its last continuation octet',
    sequences: truncatedSequences.map((hex) => `-${hex}`),
  },
  {
    subsection: 15,
    about: 'the truncated sequences of 6.14 back to back',
    sequences: [`-${truncatedSequences.join('')}`],
  },
  {
    subsection: 16,
    about: 'octets that never occur in UTF-8 (0xFE, 0xFF)',
    sequences: ['-fe', '-ff', '-fefeffff'],
  },
  {
    subsection: 17,
    about: 'overlong encodings of "/"',
    sequences: ['-c0af', '-e080af', '-f08080af', '-f8808080af', '-fc80808080af'],
  },
  {
    subsection: 18,
    about: 'the largest overlong encoding of each length',
    sequences: ['-c1bf', '-e09fbf', '-f08fbfbf', '-f887bfbfbf', '-fc83bfbfbfbf'],
  },
  {
    subsection: 19,
    about: 'overlong encodings of U+0000',
    sequences: ['-c080', '-e08080', '-f0808080', '-f880808080', '-fc8080808080'],
  },
  {
    subsection: 20,
    about: 'a lone UTF-16 surrogate encoded as UTF-8',
    sequences: ['-eda080', '-edadbf', '-edae80', '-edafbf', '-edb080', '-edbe80', '-edbfbf'],
  },
  {
    subsection: 21,
    about: 'a UTF-16 surrogate pair encoded as two UTF-8 sequences',
    sequences: [
      '-eda080edb080', '-eda080edbfbf', '-edadbfedb080', '-edadbfedbfbf',
      '-edae80edb080', '-edae80edbfbf', '-edafbfedb080', '-edafbfedbfbf',
    ],
  },
  {
    subsection: 22,
    about: 'noncharacters, which are well-formed UTF-8',
    sequences: ['+efbfbe', '+efbfbf', ...supplementaryNoncharacters()],
  },
  {
    subsection: 23,
    about: 'the Specials block U+FFF9–U+FFFF',
    sequences: ['+efbfb9', '+efbfba', '+efbfbb', '+efbfbc', '+efbfbd', '+efbfbe', '+efbfbf'],
  },
];
