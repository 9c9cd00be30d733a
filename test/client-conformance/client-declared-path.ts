/**
 * The path the client's machines must take in a case of the fuzzingserver direction, declared
 * from the path the case declares for the server's machines (test/conformance/expected-path.ts).
 *
 * The harness sends the client the very frames the conformance client sends the server, and both
 * roles run the same machines, so most steps are the same. What differs is each role's part of
 * RFC 6455, by these rules, and nothing else:
 * - connection machine: the client's CONNECTING has two steps — it sends the opening handshake
 *   (`CLIENT_HANDSHAKE_SENT->requestSent`) and checks the server's answer (§4.1), accepting it
 *   with or without permessage-deflate (`HANDSHAKE_RESPONSE[isPerMessageDeflateAccepted]`, RFC
 *   7692 §5) — where the server had one, `HANDSHAKE_REQUEST`;
 * - message machine: unchanged (it does not know its role);
 * - closingHandshake machine: the client's states are `client.*`, entered by
 *   `CLIENT_HANDSHAKE_SENT->client.connecting`; after a valid Close it does not close TCP but
 *   waits for the server to (§7.1.1: the client "SHOULD wait for the server to close the
 *   connection"): `closeHandshakeComplete` is `client.awaitingServerClose`; and the server's FIN
 *   (`TCP_END`), which the harness sends when it drops TCP, arrives in the state the machine waits
 *   in, before `TCP_CLOSED`.
 */
import type { ExpectedPath } from '../conformance/case.js';
import { HANDSHAKE_ACCEPTED, HANDSHAKE_ACCEPTED_WITH_DEFLATE } from '../conformance/expected-path.js';

/** §4.1: the client sends its opening handshake. */
const HANDSHAKE_SENT = 'CLIENT_HANDSHAKE_SENT->requestSent';
/** §4.1: the server's 101 passes every check, no extension agreed. */
const RESPONSE_ACCEPTED = 'HANDSHAKE_RESPONSE[else]->open';
/** RFC 7692 §5: the server accepted the client's permessage-deflate offer. */
const RESPONSE_ACCEPTED_WITH_DEFLATE = 'HANDSHAKE_RESPONSE[isPerMessageDeflateAccepted]->open';
/** The closingHandshake machine takes the client role on the client's first event. */
const CLOSING_HANDSHAKE_CLIENT_ROLE = 'CLIENT_HANDSHAKE_SENT->client.connecting';

const CLIENT_STATES: Readonly<Record<string, string>> = {
  // §7.1.1: the client waits for the server's TCP close where the server would close it.
  closeHandshakeComplete: 'client.awaitingServerClose',
};

function stepsOf(path: string): string[] {
  return path === '' ? [] : path.split(' ');
}

function connectionPath(serverPath: string): string {
  const [first, ...rest] = stepsOf(serverPath);
  const accepted = first === HANDSHAKE_ACCEPTED ? RESPONSE_ACCEPTED : first === HANDSHAKE_ACCEPTED_WITH_DEFLATE ? RESPONSE_ACCEPTED_WITH_DEFLATE : undefined;
  if (accepted === undefined) throw new Error(`a server path that does not start with an accepted handshake: ${first}`);
  return [HANDSHAKE_SENT, accepted, ...rest].join(' ');
}

function closingHandshakePath(serverPath: string): string {
  const steps = stepsOf(serverPath).map((step) => {
    const arrow = step.lastIndexOf('->');
    const target = step.slice(arrow + 2);
    return `${step.slice(0, arrow)}->${CLIENT_STATES[target] ?? `client.${target}`}`;
  });
  const last = steps.at(-1);
  if (last !== 'TCP_CLOSED->client.closed' || steps.length < 2) return [CLOSING_HANDSHAKE_CLIENT_ROLE, ...steps].join(' ');
  const waitingIn = steps.at(-2)!.slice(steps.at(-2)!.lastIndexOf('->') + 2);
  return [CLOSING_HANDSHAKE_CLIENT_ROLE, ...steps.slice(0, -1), `TCP_END->${waitingIn}`, last].join(' ');
}

/** The client's declared path for a case whose server path is `serverPath`. */
export function clientPathOf(serverPath: ExpectedPath): ExpectedPath {
  return {
    connection: connectionPath(serverPath.connection),
    message: serverPath.message,
    closingHandshake: closingHandshakePath(serverPath.closingHandshake),
  };
}
