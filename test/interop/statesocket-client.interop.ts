/**
 * Interop, the other way round: the statesocket client (test/client-conformance/client-under-test.ts)
 * against `ws`'s server, a Python `websockets` server and statesocket's own server, over ws://
 * and wss://, feature by feature (client-interop-scenario.ts). Prints the matrix at the end.
 */
import { expect } from 'chai';
import { CLIENT_NAME } from '../client-conformance/client-under-test.js';
import { SERVER_KINDS, startInteropServer } from './client-interop-servers.js';
import { FEATURES, runClientScenario, type Cell, type Feature } from './client-interop-scenario.js';

const rows: { server: string; transport: string; cells: Map<Feature, Cell> }[] = [];

function matrix(): string {
  const show = (cell: Cell | undefined) => (cell === true ? 'ok' : cell === '—' ? '—' : cell === undefined ? '' : 'FAIL');
  const lines = [`| server | transport | ${FEATURES.join(' | ')} |`, `|---|---|${FEATURES.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.server} | ${row.transport} | ${FEATURES.map((feature) => show(row.cells.get(feature))).join(' | ')} |`);
  return lines.join('\n');
}

describe(`interop: the statesocket client (${CLIENT_NAME}) against other servers`, function () {
  this.timeout(120_000);
  after(() => console.log(`\nclient interop matrix (client: ${CLIENT_NAME}):\n${matrix()}\n`));

  for (const kind of SERVER_KINDS) {
    for (const tls of [false, true]) {
      it(`against the ${kind} server over ${tls ? 'wss' : 'ws'}`, async function () {
        const server = await startInteropServer(kind, tls);
        try {
          const cells = await runClientScenario(server);
          rows.push({ server: server.name, transport: tls ? 'wss' : 'ws', cells });
          const failed = [...cells].filter(([, cell]) => cell !== true && cell !== '—');
          expect(failed.map(([feature, cell]) => `${feature}: ${String(cell)}`)).to.deep.equal([]);
        } finally {
          await server.close();
        }
      });
    }
  }
});
