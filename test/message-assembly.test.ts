/**
 * The data plane (src/message-assembly.ts): a message's payload as the message machine directs —
 * begin, frames of pieces, take or inflate. Whatever the pieces (1-byte fragments coalesced into
 * a tail, pieces of a socket's size, frames large enough to be gathered), the message handed over
 * is the bytes added, in order; what it finds in them (RFC 6455 §8.1 UTF-8, §10.4 the size limit,
 * RFC 7692 §8 data that does not inflate) it reports as the cause the connection machine fails on.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MessageAssembly, type MessageCompressor } from '../src/message-assembly.js';

const KiB = 1024;

// The memory tests below see whether buffers can be collected: `gc` without `--expose-gc` on the command line.
setFlagsFromString('--expose-gc');

/** Bytes that show a misplaced or repeated piece: each byte depends on its offset and the seed. */
function bytesOf(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = 0x20 + ((i * 7 + seed * 13 + (i >> 8)) % 95);
  return bytes;
}

/** Adds one frame's payload in pieces of the given sizes (in turn), as the socket would hand it over. */
function addFrame(assembly: MessageAssembly, payload: Buffer, fin: boolean, pieceSizes: number[]): (string | undefined)[] {
  const found: (string | undefined)[] = [assembly.startFrame(payload.length)];
  for (let offset = 0, turn = 0; offset < payload.length; turn++) {
    const size = pieceSizes[turn % pieceSizes.length]!;
    // A fresh buffer per piece, as a socket's read: the assembly may keep it.
    found.push(assembly.add(Buffer.from(payload.subarray(offset, offset + size))));
    offset += size;
  }
  found.push(assembly.endFrame(fin));
  return found.filter((violation) => violation !== undefined);
}

/** A compressor that records what it is asked to inflate and answers as told. */
class RecordingCompressor implements MessageCompressor {
  readonly threshold = 0;
  inflated: { data: Buffer; maxSize: number }[] = [];
  constructor(private readonly answer: (data: Buffer) => Buffer) {}
  inflate(compressed: readonly Buffer[], maxSize: number): Buffer {
    const data = Buffer.concat(compressed);
    this.inflated.push({ data, maxSize });
    return this.answer(data);
  }
  deflate(data: Uint8Array): Buffer {
    return Buffer.from(data);
  }
  close(): void {}
}

function failWith(name: string): (data: Buffer) => Buffer {
  return () => {
    const error = new Error(name);
    error.name = name;
    throw error;
  };
}

describe('message assembly (the data plane)', () => {
  describe('whatever the pieces, the message is the bytes added, in order', () => {
    const frame = fc.record({
      length: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 * KiB }), weight: 5 }, { arbitrary: fc.integer({ min: 128 * KiB, max: 200 * KiB }), weight: 1 }),
      pieceSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 900, max: 1100 }), fc.integer({ min: 8 * KiB, max: 70 * KiB })), {
        minLength: 1,
        maxLength: 5,
      }),
    });

    it('for messages of one or more frames, several in a row on one assembly', () => {
      fc.assert(
        fc.property(fc.array(fc.array(frame, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.nat(1000), (messages, isText, seed) => {
          const assembly = new MessageAssembly(4 * 1024 * KiB);
          for (const [m, frames] of messages.entries()) {
            const payloads = frames.map((f, i) => bytesOf(f.length, seed + m * 5 + i));
            assembly.begin(isText, false);
            for (const [i, f] of frames.entries()) {
              expect(addFrame(assembly, payloads[i]!, i === frames.length - 1, f.pieceSizes)).to.deep.equal([]);
            }
            expect(assembly.take().equals(Buffer.concat(payloads)), `message ${m}`).to.equal(true);
          }
        }),
        { numRuns: 40, seed: 6455 },
      );
    });

    it('for 4,000 one-byte fragments, past several tails', () => {
      const assembly = new MessageAssembly(1024 * KiB);
      const message = bytesOf(4000, 3);
      assembly.begin(false, false);
      for (let i = 0; i < message.length; i++) addFrame(assembly, message.subarray(i, i + 1), i === message.length - 1, [1]);
      expect(assembly.take().equals(message)).to.equal(true);
    });

    it('for small pieces, then a large frame gathered as it arrives, then small pieces again', () => {
      const assembly = new MessageAssembly(1024 * KiB);
      const payloads = [bytesOf(700, 1), bytesOf(200 * KiB, 2), bytesOf(30, 3)];
      assembly.begin(false, false);
      addFrame(assembly, payloads[0]!, false, [7]);
      addFrame(assembly, payloads[1]!, false, [5, 16 * KiB, 1000]);
      addFrame(assembly, payloads[2]!, true, [1]);
      expect(assembly.take().equals(Buffer.concat(payloads))).to.equal(true);
    });

    it('for a frame of exactly the gathering size in small pieces, after a small frame still in the tail', () => {
      const assembly = new MessageAssembly(1024 * KiB);
      const payloads = [bytesOf(10, 1), bytesOf(128 * KiB, 2)];
      assembly.begin(false, false);
      addFrame(assembly, payloads[0]!, false, [1]);
      addFrame(assembly, payloads[1]!, true, [1000]);
      expect(assembly.take().equals(Buffer.concat(payloads))).to.equal(true);
    });

    it('hands the compressor the compressed bytes as added, with the message limit', () => {
      const compressor = new RecordingCompressor((data) => data);
      const assembly = new MessageAssembly(64 * KiB);
      const payloads = [bytesOf(5, 1), bytesOf(2 * KiB, 2), bytesOf(3, 3)];
      assembly.begin(false, true);
      payloads.forEach((payload, i) => addFrame(assembly, payload, i === payloads.length - 1, [1, 1500]));
      const data = assembly.inflate(compressor, false);
      expect(compressor.inflated.map(({ data, maxSize }) => [data.toString('hex'), maxSize])).to.deep.equal([
        [Buffer.concat(payloads).toString('hex'), 64 * KiB],
      ]);
      expect(Buffer.isBuffer(data) && data.equals(Buffer.concat(payloads))).to.equal(true);
    });

    it('starts each message empty, after take() and after inflate()', () => {
      const assembly = new MessageAssembly(10);
      assembly.begin(false, false);
      addFrame(assembly, bytesOf(10, 1), true, [3]);
      assembly.take();
      assembly.begin(false, true);
      expect(addFrame(assembly, bytesOf(10, 2), true, [4]), 'the limit counts this message only').to.deep.equal([]);
      assembly.inflate(new RecordingCompressor((data) => data), false);
      assembly.begin(false, false);
      addFrame(assembly, bytesOf(2, 3), true, [1]);
      expect(assembly.take().equals(bytesOf(2, 3))).to.equal(true);
    });
  });

  describe('the message size limit (RFC 6455 §10.4)', () => {
    it('accepts a message of exactly maxMessageSize bytes, over several frames', () => {
      const assembly = new MessageAssembly(100);
      assembly.begin(false, false);
      expect(addFrame(assembly, bytesOf(60, 1), false, [60])).to.deep.equal([]);
      expect(addFrame(assembly, bytesOf(40, 2), true, [40])).to.deep.equal([]);
    });

    it('reports MESSAGE_TOO_BIG for the frame header that would take the message one byte over it', () => {
      const assembly = new MessageAssembly(100);
      assembly.begin(false, false);
      addFrame(assembly, bytesOf(60, 1), false, [60]);
      expect(assembly.startFrame(41)).to.equal('MESSAGE_TOO_BIG');
    });
  });

  describe('memory for a frame header that announces more than is sent (RFC 6455 §10.4)', () => {
    // §10.4: "an implementation ... SHOULD impose a limit on frame sizes and the total message
    // size after reassembly from multiple frames": a peer that announces 64 MiB and sends 64 KiB
    // must not make the receiver allocate the 64 MiB it announced. The expectation is the bound
    // the data plane promises (at most eight times the bytes received), with a wide margin.
    it('allocates no buffer of the announced length before an eighth of it has arrived', () => {
      const announced = 64 * 1024 * KiB;
      const assembly = new MessageAssembly(announced);
      assembly.begin(false, false);
      const before = process.memoryUsage().arrayBuffers;
      expect(assembly.startFrame(announced)).to.equal(undefined);
      for (let i = 0; i < 64; i++) expect(assembly.add(bytesOf(KiB, i))).to.equal(undefined);
      const grown = process.memoryUsage().arrayBuffers - before;
      expect(grown, `${grown} bytes of ArrayBuffers after 64 KiB of a 64 MiB frame`).to.be.below(8 * 1024 * KiB);
    });
  });

  describe('memory for a message of many small fragments (issue 14)', () => {
    // A 1-byte fragment kept as a view of the socket's read would keep that whole read buffer
    // alive: the data plane copies small pieces into a tail, keeping at most PENDING_MAX - 1 = 15
    // of them uncopied, plus the message's first piece when it came whole.
    it('keeps at most 16 of the read buffers its 1-byte fragments came in alive', async () => {
      const collectGarbage = runInNewContext('gc') as () => void;
      const assembly = new MessageAssembly(1024 * KiB);
      const reads: WeakRef<ArrayBufferLike>[] = [];
      const message = bytesOf(200, 5);
      assembly.begin(false, false);
      for (let i = 0; i < message.length; i++) {
        // A read buffer of its own (not from the pool), holding one fragment's byte.
        const read = Buffer.allocUnsafeSlow(16 * KiB);
        read[100] = message[i]!;
        reads.push(new WeakRef(read.buffer));
        expect(assembly.startFrame(1)).to.equal(undefined);
        expect(assembly.add(read.subarray(100, 101))).to.equal(undefined);
        expect(assembly.endFrame(i === message.length - 1)).to.equal(undefined);
      }
      // WeakRef targets stay alive until the current job ends.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      const alive = reads.filter((read) => read.deref() !== undefined).length;
      expect(alive, `${alive} of ${reads.length} read buffers alive`).to.be.at.most(16);
      expect(assembly.take().equals(message)).to.equal(true);
    });
  });

  describe('memory bounded by bytes, whatever the fragmenting (issue 14; RFC 6455 §10.4)', () => {
    // The data plane's promise (src/message-assembly.ts, COALESCE_BELOW): a message's memory is its
    // size plus at most one tail of 64 KiB and a few small pieces, not ~100 bytes of Buffer object
    // per fragment. Measured as the growth of the JS heap and of the buffers' memory while the
    // assembly holds the message; the pieces are views of one buffer allocated beforehand, so that
    // only the assembly's own memory grows.
    const collectGarbage = runInNewContext('gc') as () => void;
    /**
     * Heap and buffer bytes in use after a full collection. The collection frees the buffers of
     * collected objects on its own thread unless told otherwise (then the count could still hold
     * them): told so for the measurement only.
     */
    function settledMemory(): { heap: number; buffers: number } {
      setFlagsFromString('--no-concurrent-array-buffer-sweeping');
      try {
        collectGarbage();
        collectGarbage();
      } finally {
        setFlagsFromString('--concurrent-array-buffer-sweeping');
      }
      const usage = process.memoryUsage();
      return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
    }
    /** A message of one-byte frames, one per byte of `source`. */
    function oneByteFragments(assembly: MessageAssembly, source: Buffer): void {
      assembly.begin(false, false);
      const violations = new Set<string | undefined>();
      for (let i = 0; i < source.length; i++) {
        violations.add(assembly.startFrame(1));
        violations.add(assembly.add(source.subarray(i, i + 1)));
        violations.add(assembly.endFrame(i === source.length - 1));
      }
      expect([...violations]).to.deep.equal([undefined]);
    }

    const takesMessage = (assembly: MessageAssembly, expected: Buffer): boolean => assembly.take().equals(expected);

    it('holds a message of 262,144 one-byte fragments in at most twice its size', () => {
      const source = bytesOf(256 * KiB, 4);
      oneByteFragments(new MessageAssembly(source.length), source.subarray(0, 32 * KiB)); // the code paths compiled (and optimized) before measuring
      const assembly = new MessageAssembly(source.length);
      const before = settledMemory();
      oneByteFragments(assembly, source);
      const after = settledMemory();
      const grown = after.heap - before.heap + (after.buffers - before.buffers);
      expect(grown, `${after.heap - before.heap} heap and ${after.buffers - before.buffers} buffer bytes held for a message of ${source.length} bytes`).to.be.at.most(2 * source.length);
      expect(assembly.take().equals(source)).to.equal(true);
    });

    it('holds a message of 32 one-byte fragments in less than 16 KiB of buffers: no 64 KiB tail for a few bytes', () => {
      const source = bytesOf(32, 5);
      const assembly = new MessageAssembly(KiB);
      const before = settledMemory();
      oneByteFragments(assembly, source);
      const grown = settledMemory().buffers - before.buffers;
      expect(grown, `${grown} buffer bytes held for a message of 32 bytes`).to.be.below(16 * KiB);
      expect(assembly.take().equals(source)).to.equal(true);
    });

    it('lets go of the message once it is taken: the assembly then holds no buffer of it', () => {
      // 66 KiB: past the tails of 1 to 32 KiB (63 KiB), into a tail of 64 KiB.
      const source = bytesOf(66 * KiB, 6);
      const assembly = new MessageAssembly(source.length);
      const before = settledMemory();
      oneByteFragments(assembly, source);
      // (Taken in a function of its own: a frame still running may keep the message referenced.)
      expect(takesMessage(assembly, source)).to.equal(true);
      const grown = settledMemory().buffers - before.buffers;
      // The last tail of a message of this size is 64 KiB: keeping it would show.
      expect(grown, `${grown} buffer bytes still held after take()`).to.be.below(32 * KiB);
    });

    it('copies the small pieces waiting when a piece of 1 KiB or more arrives: 1-byte and 1 KiB fragments in turn keep at most 16 of the 1-byte reads alive', async () => {
      const assembly = new MessageAssembly(1024 * KiB);
      const reads: WeakRef<ArrayBufferLike>[] = [];
      const sent: Buffer[] = [];
      assembly.begin(false, false);
      for (let i = 0; i < 100; i++) {
        // A read buffer of its own (not from the pool), holding one fragment's byte.
        const read = Buffer.allocUnsafeSlow(16 * KiB);
        read[100] = 0x20 + (i % 95);
        reads.push(new WeakRef(read.buffer));
        expect(assembly.startFrame(1)).to.equal(undefined);
        expect(assembly.add(read.subarray(100, 101))).to.equal(undefined);
        expect(assembly.endFrame(false)).to.equal(undefined);
        const large = bytesOf(KiB, i);
        expect(addFrame(assembly, large, i === 99, [KiB])).to.deep.equal([]);
        sent.push(Buffer.from([0x20 + (i % 95)]), large);
      }
      // WeakRef targets stay alive until the current job ends.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      const alive = reads.filter((read) => read.deref() !== undefined).length;
      expect(alive, `${alive} of ${reads.length} read buffers alive`).to.be.at.most(16);
      expect(assembly.take().equals(Buffer.concat(sent))).to.equal(true);
    });
  });

  describe('UTF-8 as the text arrives (RFC 6455 §8.1)', () => {
    const euro = Buffer.from('€', 'utf8'); // e2 82 ac

    it('accepts a code point split across pieces and across frames', () => {
      const assembly = new MessageAssembly(1024);
      assembly.begin(true, false);
      expect(addFrame(assembly, euro.subarray(0, 1), false, [1])).to.deep.equal([]);
      expect(addFrame(assembly, Buffer.concat([euro.subarray(1), euro]), true, [1])).to.deep.equal([]);
      expect(assembly.take().toString('utf8')).to.equal('€€');
    });

    it('reports INVALID_UTF8 for the piece holding an invalid byte, before the frame ends', () => {
      const assembly = new MessageAssembly(1024);
      assembly.begin(true, false);
      assembly.startFrame(3);
      expect(assembly.add(Buffer.from('a'))).to.equal(undefined);
      expect(assembly.add(Buffer.from([0xff]))).to.equal('INVALID_UTF8');
    });

    it('reports INVALID_UTF8 when the final frame ends inside a code point, not when a non-final frame does', () => {
      const assembly = new MessageAssembly(1024);
      assembly.begin(true, false);
      expect(addFrame(assembly, euro.subarray(0, 2), false, [2])).to.deep.equal([]);
      expect(addFrame(assembly, Buffer.alloc(0), true, [1])).to.deep.equal(['INVALID_UTF8']);
    });

    it('checks a new text message afresh, after one that ended inside a code point was failed', () => {
      const assembly = new MessageAssembly(1024);
      assembly.begin(true, false);
      addFrame(assembly, euro.subarray(0, 2), false, [2]);
      assembly.begin(true, false);
      expect(addFrame(assembly, euro, true, [3])).to.deep.equal([]);
    });

    it('does not check binary messages, nor compressed text before it is inflated (RFC 7692 §7.2.2)', () => {
      for (const [isText, isCompressed] of [[false, false], [true, true], [false, true]] as const) {
        const assembly = new MessageAssembly(1024);
        assembly.begin(isText, isCompressed);
        expect(addFrame(assembly, Buffer.from([0xe2, 0xff, 0xe2]), true, [1, 2]), `text ${isText}, compressed ${isCompressed}`).to.deep.equal([]);
      }
    });
  });

  describe('inflating (RFC 7692 §7.2.2)', () => {
    function inflateWith(answer: (data: Buffer) => Buffer, isText: boolean): Buffer | string {
      const assembly = new MessageAssembly(1024);
      assembly.begin(isText, true);
      addFrame(assembly, Buffer.from([1, 2, 3]), true, [3]);
      return assembly.inflate(new RecordingCompressor(answer), isText);
    }

    it('reports INFLATED_TOO_BIG when the inflated message passes the limit', () => {
      expect(inflateWith(failWith('InflatedTooLarge'), false)).to.equal('INFLATED_TOO_BIG');
    });

    it('reports CORRUPT_COMPRESSED_DATA when the data does not inflate', () => {
      expect(inflateWith(failWith('CorruptDeflateData'), false)).to.equal('CORRUPT_COMPRESSED_DATA');
    });

    it('reports INFLATED_TEXT_NOT_UTF8 for text that inflates to bytes that are not UTF-8, and passes them as binary', () => {
      expect(inflateWith(() => Buffer.from([0x48, 0xff]), true)).to.equal('INFLATED_TEXT_NOT_UTF8');
      expect(inflateWith(() => Buffer.from([0x48, 0xff]), false)).to.deep.equal(Buffer.from([0x48, 0xff]));
      expect(inflateWith(() => Buffer.from('€'), true)).to.deep.equal(Buffer.from('€'));
    });
  });
});
