/**
 * Autobahn|Testsuite section 10: miscellaneous. 10.1.1: a 64 KiB text message arrives in
 * 1300-octet fragments and must come back whole.
 */
import { Opcode, type ConformanceCase } from '../case.js';
import { clientClosePath, fragmentedMessagePath } from '../expected-path.js';

const MESSAGE_SIZE = 65536;
const FRAGMENT_SIZE = 1300;

const message = () => '*'.repeat(MESSAGE_SIZE);

export const cases: ConformanceCase[] = [
  {
    id: '10.1.1',
    title: 'a 64 KiB text message in 1300-octet fragments (50 full ones and a last of 536) is echoed whole',
    async script(client) {
      await client.sendMessage(Opcode.text, message(), { fragmentSize: FRAGMENT_SIZE });
      client.killAfter(10_000);
      await client.waitForMessages(1);
      await client.sendClose(1000);
    },
    // A getter, so that the 64 KiB string is built only when the case is graded.
    get expect() {
      return [[['message', message(), false] as const]];
    },
    close: { closeCode: [1000], closedByClient: true, requireClean: true },
    path: clientClosePath({ message: fragmentedMessagePath('text', Math.ceil(MESSAGE_SIZE / FRAGMENT_SIZE)) }),
    timeoutMs: 12_000,
  },
];
