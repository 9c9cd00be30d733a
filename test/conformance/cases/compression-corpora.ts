/**
 * The payloads of the compression cases (sections 12 and 13): five corpora of the kinds
 * Autobahn|Testsuite draws from — a large JSON document, an 8-bit grey bitmap, German verse, a
 * large HTML page, a PDF-like file that is mostly already-compressed streams — generated here
 * from a fixed seed, so every run sends the same octets. Text corpora are ASCII, so any slice is
 * valid UTF-8; the verse (UTF-8, with umlauts) is sent as binary, as the real suite sends its text.
 *
 * Message `i` of a case is the corpus slice starting at `i × length` modulo the corpus size,
 * wrapping around at the end (the way the real suite walks through its files).
 */
import { createHash } from 'node:crypto';

export interface Corpus {
  /** What it is, for titles: "JSON", "bitmap", ... */
  name: string;
  kind: 'text' | 'binary';
  /** The corpus's octets (built on first use). */
  readonly octets: Buffer;
}

/** mulberry32: a small, fast, seeded PRNG; returns a function giving uint32 values. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[random() % list.length]!;
}

/** A corpus built once, on first use. */
function lazyCorpus(name: string, kind: Corpus['kind'], build: () => Buffer): Corpus {
  let octets: Buffer | undefined;
  return {
    name,
    kind,
    get octets() {
      return (octets ??= build());
    },
  };
}

const englishWords = [
  'the', 'of', 'and', 'a', 'to', 'in', 'is', 'you', 'that', 'it', 'he', 'was', 'for', 'on', 'are', 'as', 'with',
  'his', 'they', 'at', 'be', 'this', 'have', 'from', 'or', 'one', 'had', 'by', 'word', 'but', 'not', 'what', 'all',
  'were', 'we', 'when', 'your', 'can', 'said', 'there', 'use', 'an', 'each', 'which', 'she', 'do', 'how', 'their',
  'if', 'will', 'up', 'other', 'about', 'out', 'many', 'then', 'them', 'these', 'so', 'some', 'her', 'would',
  'make', 'like', 'him', 'into', 'time', 'has', 'look', 'two', 'more', 'write', 'go', 'see', 'number', 'no', 'way',
  'could', 'people', 'my', 'than', 'first', 'water', 'been', 'call', 'who', 'oil', 'its', 'now', 'find', 'long',
  'down', 'day', 'did', 'get', 'come', 'made', 'may', 'part', 'server', 'message', 'frame', 'window', 'stream',
];

function sentence(random: () => number, words: readonly string[], count: number): string {
  const chosen = Array.from({ length: count }, () => pick(random, words));
  const first = chosen[0]!;
  chosen[0] = first[0]!.toUpperCase() + first.slice(1);
  return `${chosen.join(' ')}.`;
}

/** A large JSON document: an array of records, pretty-printed (about 190 KiB). */
function buildJson(): Buffer {
  const random = seededRandom(0x12_01);
  const givenNames = ['Maria', 'Jonas', 'Lea', 'Finn', 'Emma', 'Paul', 'Mia', 'Ben', 'Hannah', 'Luca', 'Sofia', 'Noah'];
  const familyNames = ['Keller', 'Nguyen', 'Okafor', 'Silva', 'Novak', 'Tanaka', 'Haddad', 'Larsen', 'Moreau', 'Rossi'];
  const companies = ['NORTHWIND', 'ACMECORP', 'GLOBEX', 'INITECH', 'UMBRELLA', 'HOOLI', 'VANDELAY', 'STARK'];
  const tags = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'lorem', 'ipsum', 'sit', 'amet', 'dolor', 'elit'];
  const records: unknown[] = [];
  let size = 0;
  for (let id = 0; size < 190 * 1024; id++) {
    const given = pick(random, givenNames);
    const family = pick(random, familyNames);
    const company = pick(random, companies);
    const hex = (n: number) => Array.from({ length: n }, () => (random() % 16).toString(16)).join('');
    const record = {
      id: 10_000 + id,
      guid: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
      isActive: random() % 2 === 0,
      balance: `$${(random() % 4000) + 1000}.${String(random() % 100).padStart(2, '0')}`,
      age: 20 + (random() % 50),
      name: `${given} ${family}`,
      company,
      email: `${given.toLowerCase()}.${family.toLowerCase()}@${company.toLowerCase()}.example`,
      registered: `20${10 + (random() % 15)}-${String(1 + (random() % 12)).padStart(2, '0')}-${String(1 + (random() % 28)).padStart(2, '0')}`,
      location: { latitude: ((random() % 180_000_000) / 1e6 - 90).toFixed(6), longitude: ((random() % 360_000_000) / 1e6 - 180).toFixed(6) },
      tags: Array.from({ length: 2 + (random() % 5) }, () => pick(random, tags)),
      about: sentence(random, englishWords, 8 + (random() % 20)),
    };
    records.push(record);
    size += JSON.stringify(record, null, 2).length + 4;
  }
  return Buffer.from(JSON.stringify(records, null, 2), 'ascii');
}

/** An 8-bit grey 512 × 512 bitmap with its BMP header and palette (263,222 octets): smooth shapes and noise. */
function buildBitmap(): Buffer {
  const random = seededRandom(0x12_02);
  const side = 512;
  const headerLength = 14 + 40 + 256 * 4;
  const out = Buffer.alloc(headerLength + side * side);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(headerLength, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(side, 18);
  out.writeInt32LE(side, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(8, 28);
  out.writeUInt32LE(side * side, 34);
  out.writeUInt32LE(256, 46);
  for (let grey = 0; grey < 256; grey++) out.writeUInt32LE(grey * 0x010101, 54 + grey * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const shape = 60 * Math.sin(x / 23) * Math.cos(y / 31) + 40 * Math.sin((x + 2 * y) / 57) + 25 * Math.cos(Math.hypot(x - 300, y - 200) / 19);
      const noise = (random() % 17) - 8;
      out[headerLength + y * side + x] = Math.max(0, Math.min(255, Math.round(128 + shape + noise)));
    }
  }
  return out;
}

/** German verse, UTF-8 with umlauts and ß (about 217 KiB), sent as binary. */
function buildVerse(): Buffer {
  const random = seededRandom(0x12_03);
  const words = [
    'und', 'der', 'die', 'das', 'ich', 'nicht', 'mit', 'sich', 'auf', 'wie', 'mir', 'noch', 'nun', 'ach', 'doch',
    'Nacht', 'Geist', 'Welt', 'Herz', 'Himmel', 'Erde', 'Stunde', 'Leben', 'Natur', 'Kraft', 'Liebe', 'Tag',
    'müssen', 'schön', 'Glück', 'Träume', 'hören', 'über', 'Größe', 'weiß', 'süß', 'Schönheit', 'Früchte',
    'Tränen', 'grün', 'Gefühl', 'Mächte', 'fröhlich', 'ewig', 'Wahrheit', 'Flüsse', 'Bäume', 'König', 'töricht',
  ];
  const speakers = ['DER DICHTER.', 'DIE STIMME.', 'DER WANDERER.', 'DER CHOR.', 'DIE ALTE.'];
  const lines: string[] = [];
  let size = 0;
  while (size < 217 * 1024) {
    const stanza = [`\n${pick(random, speakers)}`];
    for (let line = 0, count = 2 + (random() % 7); line < count; line++) {
      const text = sentence(random, words, 4 + (random() % 6));
      stanza.push(random() % 4 === 0 ? `${text.slice(0, -1)}!` : text);
    }
    const block = stanza.join('\n');
    lines.push(block);
    size += Buffer.byteLength(block) + 1;
  }
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** A large HTML page (about 257 KiB, ASCII): navigation, tables, paragraphs. */
function buildHtml(): Buffer {
  const random = seededRandom(0x12_04);
  const parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Archive</title>\n</head>\n<body>\n'];
  let size = parts[0]!.length;
  for (let section = 0; size < 257 * 1024; section++) {
    const block: string[] = [`<div class="section" id="s${section}">`, `  <h2>${sentence(random, englishWords, 3 + (random() % 4))}</h2>`];
    block.push('  <ul class="nav">');
    for (let i = 0, n = 2 + (random() % 5); i < n; i++) {
      block.push(`    <li><a href="/archive/${section}/${random() % 1000}.html" class="link">${pick(random, englishWords)}</a></li>`);
    }
    block.push('  </ul>');
    for (let p = 0, n = 1 + (random() % 3); p < n; p++) {
      block.push(`  <p>${Array.from({ length: 2 + (random() % 4) }, () => sentence(random, englishWords, 6 + (random() % 12))).join(' ')}</p>`);
    }
    if (random() % 3 === 0) {
      block.push('  <table class="data">');
      for (let row = 0, rows = 3 + (random() % 6); row < rows; row++) {
        block.push(`    <tr><td>${random() % 10_000}</td><td>${pick(random, englishWords)}</td><td>${(random() % 100_000) / 100}</td></tr>`);
      }
      block.push('  </table>');
    }
    block.push('</div>\n');
    const text = block.join('\n');
    parts.push(text);
    size += text.length;
  }
  parts.push('</body>\n</html>\n');
  return Buffer.from(parts.join(''), 'ascii');
}

/**
 * A PDF-like file of about 1 MiB: object dictionaries, text content streams and, for most of its
 * size, streams of random octets (the already-compressed images and fonts of a real PDF, which
 * deflate cannot shrink).
 */
function buildPdfLike(): Buffer {
  const random = seededRandom(0x12_05);
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let size = parts[0]!.length;
  const offsets: number[] = [];
  for (let object = 1; size < 1024 * 1024; object++) {
    offsets.push(size);
    let text: string;
    let stream: Buffer | undefined;
    if (random() % 3 === 0) {
      const lines = Array.from({ length: 5 + (random() % 20) }, (_, i) => `BT /F1 ${9 + (random() % 4)} Tf 72 ${760 - i * 14} Td (${sentence(random, englishWords, 6 + (random() % 8))}) Tj ET`);
      stream = Buffer.from(lines.join('\n'), 'ascii');
      text = `${object} 0 obj\n<< /Length ${stream.length} >>\nstream\n`;
    } else if (random() % 2 === 0) {
      const length = 2048 + (random() % 14_000);
      const words = new Uint32Array(Math.ceil(length / 4)).map(() => random());
      stream = Buffer.from(words.buffer, 0, length);
      text = `${object} 0 obj\n<< /Type /XObject /Subtype /Image /Width ${64 + (random() % 512)} /Height ${64 + (random() % 512)} /Filter /FlateDecode /Length ${stream.length} >>\nstream\n`;
    } else {
      text = `${object} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${object + 1} 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n`;
    }
    const head = Buffer.from(text, 'latin1');
    const tail = Buffer.from(stream === undefined ? '' : '\nendstream\nendobj\n', 'ascii');
    parts.push(head, ...(stream === undefined ? [] : [stream]), tail);
    size += head.length + (stream?.length ?? 0) + tail.length;
  }
  const xref = [`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`, ...offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`)];
  parts.push(Buffer.from(`${xref.join('')}trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`, 'ascii'));
  return Buffer.concat(parts);
}

export const jsonCorpus = lazyCorpus('JSON', 'text', buildJson);
export const bitmapCorpus = lazyCorpus('bitmap', 'binary', buildBitmap);
export const verseCorpus = lazyCorpus('German verse', 'binary', buildVerse);
export const htmlCorpus = lazyCorpus('HTML', 'text', buildHtml);
export const pdfLikeCorpus = lazyCorpus('PDF-like', 'binary', buildPdfLike);

/** The one or two pieces of the corpus that message `index` of `length` octets is made of. */
function piecesAt(corpus: Corpus, length: number, index: number): Buffer[] {
  const octets = corpus.octets;
  const start = (index * length) % octets.length;
  const end = start + length;
  if (end <= octets.length) return [octets.subarray(start, end)];
  // Messages are shorter than every corpus, so one wrap is enough.
  return [octets.subarray(start), octets.subarray(0, end - octets.length)];
}

/** Message `index` (from 0) of a case sending `length`-octet messages from `corpus`. */
export function messageAt(corpus: Corpus, length: number, index: number): Buffer {
  const pieces = piecesAt(corpus, length, index);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
}

/** SHA-1 (hex) of message `index`, without copying it. */
export function messageDigestAt(corpus: Corpus, length: number, index: number): string {
  const hash = createHash('sha1');
  for (const piece of piecesAt(corpus, length, index)) hash.update(piece);
  return hash.digest('hex');
}
