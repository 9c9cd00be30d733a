/**
 * The connection machine decides on the opening handshake once (HANDSHAKE_REQUEST), in ws's
 * order: the request (405, 426, 400), the resource (`path`, 400), the server's limits (431, 403,
 * 503); a request it accepts waits in `awaitingApplication` while the application has its say
 * (`verifyClient`, a closing server, a `handleProtocols` that chose what was not offered), then
 * APPLICATION_ACCEPTED opens it or APPLICATION_REFUSED answers the application's refusal. In
 * process through the protocol core, then over TCP, where a request failing two checks gets the
 * earlier one's status.
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { handshakeRefusal, type HandshakeRefusal } from '../src/opening-handshake.js';
import { WebSocketServer } from '../src/server.js';
import { HANDSHAKE_REQUEST } from './client-frame.js';
import { RawTcpClient, UPGRADE_REQUEST } from './raw-tcp-client.js';

/** The raw upgrade request for `path`, without its final blank line. */
const requestFor = (path: string) => UPGRADE_REQUEST.replace('GET / ', `GET ${path} `);

/** A core that took the request with `facts`, and what it answered. */
function coreWith(facts: Record<string, unknown>, perMessageDeflate = false) {
  let refusal: HandshakeRefusal | undefined;
  let accepted = '';
  const output = new (class extends DiscardingOutput {
    override refuseHandshake(decided: HandshakeRefusal): void {
      refusal = decided;
    }
    override write(bytes: Uint8Array): void {
      accepted += Buffer.from(bytes).toString('latin1');
    }
  })();
  const core = new ConnectionProtocol(output, {
    maxMessageSize: 1024,
    perMessageDeflate: perMessageDeflate ? {} : undefined,
    createCompressor: () => ({ threshold: Infinity, deflate: (data: Uint8Array) => data }) as never,
  });
  const headers = perMessageDeflate ? { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-extensions': 'permessage-deflate' } : HANDSHAKE_REQUEST.headers;
  core.receiveHandshake({ ...HANDSHAKE_REQUEST, headers, ...facts });
  return { core, refusal: () => refusal, accepted: () => accepted };
}

describe('The application\'s say on the opening handshake (connection machine)', () => {
  it('refuses with 400 a request for a resource the server does not serve, naming it', () => {
    const { core, refusal } = coreWith({ resourceNotServed: true, url: '/elsewhere' });
    expect(refusal()?.status).to.equal(400);
    expect(refusal()?.body).to.equal('no WebSocket endpoint at /elsewhere\n');
    expect(core.readyState).to.equal('closed');
  });

  it('refuses a malformed request for its fault before the resource, and the resource before a limit', () => {
    const malformed = coreWith({ headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-key': 'short' }, resourceNotServed: true });
    expect(malformed.refusal()?.body).to.match(/Sec-WebSocket-Key/);
    const both = coreWith({ resourceNotServed: true, url: '/x', originNotAllowed: true });
    expect(both.refusal()?.status).to.equal(400);
  });

  it('leaves an acceptable request to the application: CONNECTING, nothing written', () => {
    const { core, refusal, accepted } = coreWith({ applicationDecides: true });
    expect(core.machineStates.connection).to.equal('awaitingApplication');
    expect(core.readyState).to.equal('connecting');
    expect(refusal()).to.equal(undefined);
    expect(accepted()).to.equal('');
  });

  it('still refuses for the protocol and the limits first when the application would decide', () => {
    expect(coreWith({ method: 'POST', applicationDecides: true }).refusal()?.status).to.equal(405);
    expect(coreWith({ headerFieldsTooLarge: true, applicationDecides: true }).refusal()?.status).to.equal(431);
  });

  it('APPLICATION_ACCEPTED opens with the subprotocol chosen, and with permessage-deflate when agreed', () => {
    const plain = coreWith({ applicationDecides: true });
    plain.core.applicationAccepted('chat.v2', false);
    expect(plain.core.readyState).to.equal('open');
    expect(plain.core.subprotocol).to.equal('chat.v2');
    expect(plain.accepted()).to.match(/^HTTP\/1\.1 101 [^]*Sec-WebSocket-Protocol: chat\.v2\r\n\r\n$/);

    const deflate = coreWith({ applicationDecides: true }, true);
    deflate.core.applicationAccepted(undefined, false);
    expect(deflate.core.readyState).to.equal('open');
    expect(deflate.accepted()).to.include('Sec-WebSocket-Extensions: permessage-deflate');
    expect(deflate.core.subprotocol).to.equal('');

    const both = coreWith({ applicationDecides: true }, true);
    both.core.applicationAccepted('chat.v1', false);
    expect(both.accepted()).to.include('Sec-WebSocket-Extensions: permessage-deflate');
    expect(both.accepted()).to.include('Sec-WebSocket-Protocol: chat.v1');
  });

  it('APPLICATION_ACCEPTED over the connection limit as it stands then: 503', () => {
    const { core, refusal } = coreWith({ applicationDecides: true });
    core.applicationAccepted(undefined, true);
    expect(refusal()?.status).to.equal(503);
    expect(refusal()?.body).to.equal('the server is at its connection limit; try again\n');
    expect(core.readyState).to.equal('closed');
  });

  it('APPLICATION_REFUSED answers the application\'s refusal as it is', () => {
    const { core, refusal } = coreWith({ applicationDecides: true });
    const chosen = handshakeRefusal(401, 'no token');
    core.applicationRefused(chosen);
    expect(refusal()).to.equal(chosen);
    expect(core.readyState).to.equal('closed');
  });

  it('HANDSHAKE_TIMEOUT while the application decides: 503 saying the server did not decide in time', () => {
    const { core, refusal } = coreWith({ applicationDecides: true });
    core.handshakeTimeout();
    expect(refusal()?.status).to.equal(503);
    expect(refusal()?.body).to.match(/did not decide on the handshake in time/);
    expect(core.readyState).to.equal('closed');
  });

  it('refuses send() while the application decides, and terminate() closes', () => {
    const { core } = coreWith({ applicationDecides: true });
    expect(() => core.send(Buffer.from('x'), false)).to.throw(/awaitingApplication|connecting/);
    core.terminate();
    expect(core.readyState).to.equal('closed');
  });
});

describe('The application\'s say on the opening handshake, over TCP', () => {
  const servers: WebSocketServer[] = [];
  const clients: RawTcpClient[] = [];

  async function serve(options: ConstructorParameters<typeof WebSocketServer>[0]): Promise<WebSocketServer & { port: number }> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    servers.push(server);
    const { port } = await server.listen();
    return Object.assign(server, { port });
  }

  async function statusFor(port: number, text: string): Promise<{ status: number | undefined; response: string }> {
    const client = new RawTcpClient(port);
    clients.push(client);
    client.socket.write(text);
    const status = () => /^HTTP\/1\.1 (\d{3}) /.exec(client.received.toString('latin1'))?.[1];
    await client.waitFor(() => status() !== undefined || client.isClosed);
    return { status: status() === undefined ? undefined : Number(status()), response: client.received.toString('latin1') };
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await Promise.all(servers.splice(0).map((server) => server.shutdown(1001, '', 500)));
  });

  it('a request to another path from an origin not allowed gets the path\'s 400', async () => {
    const { port } = await serve({ path: '/', allowedOrigins: ['https://app.example'] });
    const { status, response } = await statusFor(port, `${requestFor('/other')}Origin: https://evil.example\r\n\r\n`);
    expect(status).to.equal(400);
    expect(response).to.include('no WebSocket endpoint at /other');
  });

  it('a malformed request to another path gets the request\'s status, and wsClientError hears only that', async () => {
    const server = await serve({ path: '/' });
    const heard: string[] = [];
    server.on('wsClientError', (error, socket) => {
      heard.push(error.message);
      socket.end('HTTP/1.1 418 I\'m a teapot\r\nConnection: close\r\n\r\n');
    });
    const malformed = await statusFor(server.port, `${requestFor('/other').replace('Version: 13', 'Version: 8')}\r\n`);
    expect(malformed.status).to.equal(418);
    const elsewhere = await statusFor(server.port, `${requestFor('/other')}\r\n`);
    expect(elsewhere.status).to.equal(400);
    expect(heard).to.deep.equal(['Sec-WebSocket-Version: 8 is not supported; this server speaks 13']);
  });

  it('verifyClient is asked after the limits, and the limit as it stands after an asynchronous answer refuses with 503', async () => {
    let asked = 0;
    const answers: Array<(result: boolean) => void> = [];
    const server = await serve({
      maxConnections: 1,
      verifyClient: (_info, callback) => {
        asked++;
        answers.push(callback);
      },
    });
    const first = new RawTcpClient(server.port);
    const second = new RawTcpClient(server.port);
    clients.push(first, second);
    first.socket.write(`${UPGRADE_REQUEST}\r\n`);
    second.socket.write(`${UPGRADE_REQUEST}\r\n`);
    const status = (client: RawTcpClient) => /^HTTP\/1\.1 (\d{3}) /.exec(client.received.toString('latin1'))?.[1];
    await first.waitFor(() => answers.length === 2);
    answers[0]!(true);
    await first.waitFor(() => status(first) !== undefined);
    expect(status(first)).to.equal('101');
    answers[1]!(true);
    await second.waitFor(() => status(second) !== undefined);
    expect(status(second)).to.equal('503');
    expect(asked).to.equal(2);
    // Over the limit when the request arrives: refused before verifyClient is asked.
    const third = await statusFor(server.port, `${UPGRADE_REQUEST}\r\n`);
    expect(third.status).to.equal(503);
    expect(asked).to.equal(2);
  });

  it('a synchronous verifyClient\'s refusal (401) and acceptance go through awaitingApplication', async () => {
    const transitions: string[] = [];
    const { port } = await serve({
      verifyClient: (info) => info.req.url === '/ok',
      onTransition: (_connection, transition) => transitions.push(`${transition.source}->${transition.target}`),
    });
    expect((await statusFor(port, `${requestFor('/no')}\r\n`)).status).to.equal(401);
    expect((await statusFor(port, `${requestFor('/ok')}\r\n`)).status).to.equal(101);
    expect(transitions).to.include.members(['connecting->awaitingApplication', 'awaitingApplication->closed', 'awaitingApplication->open']);
  });
});
