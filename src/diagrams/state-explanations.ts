/**
 * What each machine and each of its states means in RFC 6455 terms, for diagrams/README.md.
 *
 * A state's own `description` in the machine file wins over this table (see readme.ts), so the
 * text can move into machines/ one state at a time and the entry here be deleted.
 * test/diagrams.test.ts fails when a state has neither, so a new state cannot go unexplained.
 */

export interface MachineExplanation {
  /** One or two sentences on what the machine decides. */
  readonly summary: string;
  /** By state path (`text.finalFrame`). */
  readonly states: Readonly<Record<string, string>>;
}

const fragmentedMessage = (kind: 'text' | 'binary') => ({
  finalFrame:
    'Reading the frame that has FIN set: an unfragmented message, or the last fragment, which §5.4 says is ' +
    '"a single frame with the FIN bit set and an opcode of 0". At the end of its payload the ' +
    `${kind} message is complete and goes to the application.`,
  fragment:
    'Reading a frame with FIN clear: more of the message follows, in "zero or more frames with the FIN bit ' +
    'clear and the opcode set to 0" and then a final one (§5.4).',
  awaitingContinuation:
    'Between two fragments. Only a Continuation frame (opcode 0x0) may come next; "Control frames MAY be ' +
    `injected in the middle of a fragmented message" (§5.4), but a new Text or Binary frame may not: the fragments ` +
    'of two messages "MUST NOT be interleaved" unless an extension says so (§5.4), so that fails the ' +
    'connection with 1002.',
});

/** By machine id. */
export const machineExplanations: Readonly<Record<string, MachineExplanation>> = {
  connection: {
    summary:
      'The connection lifecycle: the four states RFC 6455 names (CONNECTING §4.1, OPEN §4.2.2, CLOSING §7.1.3, ' +
      'CLOSED §7.1.4), which the WebSocket API calls `readyState`. How a close happens is the closing-handshake ' +
      "machine's business; this one only records that it has begun and that TCP is gone.",
    states: {
      connecting:
        "The opening handshake (§4) is not done: the server waits for the client's HTTP Upgrade request and " +
        'answers it with 101 Switching Protocols, or with an HTTP error status and a closed connection when the ' +
        'request is not a valid WebSocket handshake (§4.2.1, §4.2.2). This is what the RFC calls CONNECTING.',
      awaitingApplication:
        'Still CONNECTING (§4.2.2): the request passed every check of the protocol, of the resource and of the ' +
        "server's limits, and the server's application has its say (`verifyClient`, a server that is closing, a " +
        '`handleProtocols` that chose a subprotocol the client did not offer). APPLICATION_ACCEPTED answers 101 ' +
        '(or 503 if the server reached `maxConnections` meanwhile); APPLICATION_REFUSED answers the ' +
        "application's status; HANDSHAKE_TIMEOUT answers 503 when it does not decide in time.",
      requestSent:
        "The client role's CONNECTING (§4.1): the client sent its opening handshake and waits for the server's " +
        'response, which it "MUST validate": status 101, `Upgrade: websocket`, `Connection: Upgrade`, the ' +
        '`Sec-WebSocket-Accept` its key calls for, no extension or subprotocol it did not offer. Each failed check ' +
        'is its own guard and error (no Close frame can be sent yet: TCP is dropped, close code 1006); a status ' +
        'other than 101 goes to the application as `unexpected-response`. Every frame the client sends from here ' +
        'on is masked (§5.3), and a masked frame from the server fails the connection (§5.1).',
      open:
        'The handshake succeeded. Once the server has sent its response, §4.2.2 says it "considers the WebSocket ' +
        'connection to be established and that the WebSocket connection is in the OPEN state": data frames may ' +
        'flow both ways.',
      closing:
        'A Close frame was sent or received, the connection is being failed, or the peer ended TCP. §7.1.3: ' +
        'once a Close frame goes either way, "_The WebSocket Closing Handshake is Started_" and the connection ' +
        'is CLOSING.',
      closed:
        'The TCP connection is gone (§7.1.4: "_The WebSocket Connection is Closed_", the CLOSED state). The ' +
        'application is told, with the close code and reason.',
    },
  },
  message: {
    summary:
      'Which data frame may follow which: messages and fragmentation (§5.4) for text and binary data (§5.6). The ' +
      "machine steps on each data frame's header and on the end of its payload; the payload bytes never enter it.",
    states: {
      awaitingMessage:
        'No message is in progress: the next data frame must start one, with opcode 0x1 (text) or 0x2 ' +
        '(binary). A Continuation frame here has nothing to continue (§5.4) and fails the connection with ' +
        '1002; control frames (§5.5) change nothing.',
      text:
        'A text message is in progress (opcode 0x1). §5.6: its payload is "text data encoded as UTF-8", ' +
        'which is checked as the bytes arrive (§8.1).',
      ...Object.fromEntries(Object.entries(fragmentedMessage('text')).map(([key, text]) => [`text.${key}`, text])),
      binary:
        'A binary message is in progress (opcode 0x2). §5.6: "arbitrary binary data whose interpretation is ' +
        'solely up to the application layer".',
      ...Object.fromEntries(Object.entries(fragmentedMessage('binary')).map(([key, text]) => [`binary.${key}`, text])),
      compressedText:
        'A compressed text message is in progress: its first frame had RSV1 set, "Per-Message Compressed" ' +
        '(RFC 7692 §6). The payload is inflated at the end of the message (§7.2.2) and then checked as UTF-8.',
      ...Object.fromEntries(
        Object.entries(fragmentedMessage('text')).map(([key, text]) => [`compressedText.${key}`, text]),
      ),
      compressedBinary:
        'A compressed binary message is in progress (RFC 7692 §6); it is inflated at the end of the message ' +
        '(§7.2.2). RSV1 on any later fragment fails the connection with 1002.',
      ...Object.fromEntries(
        Object.entries(fragmentedMessage('binary')).map(([key, text]) => [`compressedBinary.${key}`, text]),
      ),
      failed:
        'The frame sequence broke §5.4. The connection is failed (§7.1.7) with 1002, "a protocol error" ' +
        '(§7.4.1), and no further frame is read.',
    },
  },
  closingHandshake: {
    summary:
      'Control frames and the closing handshake (§5.5, §7): answering Pings, checking and echoing Close frames, ' +
      'failing the connection (§7.1.7), and who closes TCP when. Timeouts come in as events from the I/O layer.',
    states: {
      connecting:
        'The opening handshake has not completed (§4.1 CONNECTING): there is nothing to close yet, so the ' +
        "application's close() is refused. The connection machine's acceptHandshake opens it (CONNECTION_OPENED).",
      open:
        'Neither side has sent a Close frame. A Ping is answered (§5.5.2: an endpoint "MUST send a Pong frame in ' +
        'response"); a Close frame is checked (§5.5.1 body, §7.4 status code, §8.1 UTF-8 reason) and either ' +
        'echoed, as §5.5.1 requires ("MUST send a Close frame in response"), or answered by failing the connection.',
      closeSent:
        'The server started the closing handshake (§7.1.2) by sending a Close frame and now waits for the ' +
        "peer's. It sends no more data (§5.5.1) and reads on only to find that Close frame, or gives up when " +
        'the close timer fires.',
      closeHandshakeComplete:
        'Both Close frames have been exchanged. §7.1.1: the TCP connection "SHOULD be closed first by the server", ' +
        'so the server has sent its FIN and waits for the peer to close its side, or for the close timer.',
      failed:
        '"_Fail the WebSocket Connection_" (§7.1.7): a Close frame with the status code of the failure was sent ' +
        "(the close code failConnection names, e.g. 1002 for a protocol error, 1007 for invalid UTF-8; §7.4.1) unless " +
        'a Close was already sent, further frames are ignored, and TCP is being closed.',
      closed: 'The TCP connection is closed (§7.1.4: "_The WebSocket Connection is Closed_").',
      client:
        'The client role: the same closing handshake, except for who closes TCP. §7.1.1: the TCP connection ' +
        '"SHOULD be closed first by the server", and "the client SHOULD wait for the server to close the ' +
        'connection" — so no state of the client sends FIN first; its close timer bounds every wait.',
      'client.connecting':
        "The client's opening handshake is sent and not yet accepted (§4.1): nothing to close; close() is refused " +
        '(the connection abandons the handshake instead). A failed handshake ends here in `closed`.',
      'client.open':
        'Neither side has sent a Close frame: Pings are answered, a Close frame is checked and echoed as on the ' +
        'server side; failing the connection sends the Close (§7.1.7) but leaves closing TCP to the server.',
      'client.closeSent':
        "The client started the closing handshake (§7.1.2) and waits for the server's Close, or for its close timer.",
      'client.awaitingServerClose':
        'Both Close frames have been exchanged; §7.1.1: the client "SHOULD wait for the server to close the ' +
        'connection but MAY close the connection at any time ... if it has not received a TCP Close from the ' +
        'server in a reasonable time period". The FIN of the server is answered with one of the client; the close ' +
        'timer drops TCP if the server never closes it.',
      'client.failed':
        '"_Fail the WebSocket Connection_" (§7.1.7) as a client: the failure\'s Close frame was sent (unless one ' +
        "was already), no further frame is read, and the client waits for the server to close TCP, within its close timer.",
      'client.closed': 'The TCP connection is closed (§7.1.4).',
    },
  },
};
