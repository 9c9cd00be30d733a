/**
 * Every transition that fails the connection (`failConnection`, RFC 6455 §7.1.7) names its error
 * code and the close code the diagrams draw and the inspector shows (`params.closeCode`). The
 * core fails with the error's own close code (`protocolError(params.error)`), so the two must
 * agree on every such edge, or a picture would show a code the wire never carries.
 */
import { expect } from 'chai';
import type { AnyStateMachine, StateNode } from 'xstate';
import { connectionMachine } from '../machines/connection.machine.js';
import { messageMachine } from '../machines/message.machine.js';
import { closingHandshakeMachine } from '../machines/closing-handshake.machine.js';
import { ERROR_CLOSE_CODES, type ProtocolErrorCode } from '../src/protocol-error.js';

type FailureEdge = { state: string; event: string; error: ProtocolErrorCode; closeCode: number };

function failureEdges(node: StateNode, edges: FailureEdge[] = []): FailureEdge[] {
  for (const [event, transitions] of node.transitions) {
    for (const transition of transitions) {
      for (const action of transition.actions) {
        const { type, params } = action as { type?: string; params?: { error: ProtocolErrorCode; closeCode: number } };
        if (type === 'failConnection') edges.push({ state: node.id, event, error: params!.error, closeCode: params!.closeCode });
      }
    }
  }
  for (const child of Object.values(node.states)) failureEdges(child, edges);
  return edges;
}

describe('the close code drawn on every failure edge', () => {
  for (const machine of [connectionMachine, messageMachine, closingHandshakeMachine] as AnyStateMachine[]) {
    it(`is the close code of the edge's error, in the ${machine.id} machine`, () => {
      const edges = failureEdges(machine.root);
      expect(edges, 'the machine has failure edges').to.not.deep.equal([]);
      for (const edge of edges) {
        expect(edge.closeCode, `${edge.state} ${edge.event} ${edge.error}`).to.equal(ERROR_CLOSE_CODES[edge.error]);
      }
    });
  }
});
