/**
 * Paths through each machine, generated with `xstate/graph` from the sample events of
 * event-samples.ts.
 *
 * Two generators, each over its own notion of what a vertex is:
 * - shortest paths (`getShortestPaths`) where a vertex is a state *together with the transition
 *   that entered it* (the sample event and the source state): there is then one vertex per
 *   transition sample, so the shortest paths end, between them, in every transition of the
 *   machine — targetless ones (a Ping that leaves `open` where it is) included;
 * - simple paths (`getSimplePaths`) where a vertex is the state alone: every way through the
 *   machine that visits no state twice, e.g. a fragmented message with a Ping between fragments.
 *
 * A shortest path that stops halfway (inside a fragmented message) goes on along the shortest way
 * back to the initial state (`getShortestPaths` with `fromState` and `toState`), so that the
 * message completes and its echo can be checked.
 *
 * `createTestModel` offers each state only the events of what XState calls its own transitions,
 * and a transition with neither target nor actions (`CONTROL_FRAME: {}` in the message machine)
 * does not count as one — it reads as a forbidden transition — so the generators are given the
 * samples each state really takes a transition for.
 *
 * Machine context is empty and never part of a vertex. Paths that are a prefix of another path
 * are left out (`createTestModel` does so per generator; a simple path equal to, or a prefix of, a
 * shortest path is dropped here). Generation is deterministic: the same machines and samples give
 * the same paths, in the same order, with the same ids.
 */
import { initialTransition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { closingHandshakeMachine, connectionMachine, messageMachine } from '../../machines/index.js';
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import { statePath } from '../compiled-machine.js';
import { describeEvent, isClientRole, isInProcessOnly, machineSamples, MACHINE_IDS, type MachineId } from './event-samples.js';

export const machinesById: Record<MachineId, AnyStateMachine> = {
  connection: connectionMachine,
  message: messageMachine,
  closingHandshake: closingHandshakeMachine,
};

export interface PathStep {
  readonly event: ProtocolEvent;
  /** The state the machine is in after the event, as a dotted path (`text.awaitingContinuation`). */
  readonly state: string;
}

export type PathGenerator = 'shortest' | 'simple';

/**
 * The role a path plays: `server` paths run on the machines and over TCP against the echo server;
 * `client` paths (a step of the client role, `isClientRole`) run on the machines only.
 */
export type PathRole = 'server' | 'client';

export interface ModelPath {
  /**
   * `<machine>.<generator>.<nn>` (the server role) or `<machine>.client-<generator>.<nn>`, e.g.
   * `closingHandshake.shortest.07`; stable while machines and samples are.
   */
  readonly id: string;
  readonly machineId: MachineId;
  readonly role: PathRole;
  readonly generator: PathGenerator;
  /** The machine's initial state. */
  readonly initialState: string;
  readonly steps: readonly PathStep[];
}

/** `CLOSE_FRAME(1004) → failed, CLOSE_TIMEOUT → closed`. */
export function describePath(path: ModelPath): string {
  if (path.steps.length === 0) return `(stays in ${path.initialState})`;
  return path.steps.map((step) => `${describeEvent(step.event)} → ${step.state}`).join(', ');
}

function eventKey(event: ProtocolEvent): string {
  return JSON.stringify(event);
}

interface RawPath {
  steps: { event: { type: string }; state: AnyMachineSnapshot }[];
}

function toSteps(path: RawPath): PathStep[] {
  // `xstate/graph` starts every path with an `xstate.init` step into the initial state.
  return path.steps
    .filter((step) => step.event.type !== 'xstate.init')
    .map((step) => ({ event: step.event as ProtocolEvent, state: statePath(step.state.value) }));
}

/**
 * Whether a wire can take the steps: a failure cause found in a compressed message needs
 * permessage-deflate agreed in the path's own handshake (connection paths make theirs).
 */
function isWireFeasible(steps: readonly PathStep[]): boolean {
  const handshake = steps.find((step) => step.event.type === 'HANDSHAKE_REQUEST')?.event;
  const deflateAgreed = handshake === undefined || (handshake.type === 'HANDSHAKE_REQUEST' && handshake.perMessageDeflateAgreed);
  return deflateAgreed || !steps.some((step) => NEEDS_DEFLATE.has(step.event.type));
}

const NEEDS_DEFLATE: ReadonlySet<string> = new Set(['INFLATED_TOO_BIG', 'CORRUPT_COMPRESSED_DATA', 'INFLATED_TEXT_NOT_UTF8']);

/** Generates the paths of one machine in one role (the client role: those with a client-role step). */
export function generateMachinePaths(machineId: MachineId, role: PathRole = 'server'): ModelPath[] {
  const machine = machinesById[machineId];
  const events = machineSamples[machineId] as ProtocolEvent[];
  const initialState = statePath(initialTransition(machine)[0].value);

  // A vertex is a state plus the transition into it (sample event and source state).
  const byTransition = createTestModel(machine, {
    events,
    serializeTransition: (_state, event, previous) =>
      event === undefined ? '' : ` via ${eventKey(event)} from ${JSON.stringify(previous?.value)}`,
  });
  // A vertex is a state.
  const byState = createTestModel(machine, { events, serializeTransition: () => '' });

  // Every sample the state takes a transition for (see the file comment: not only "own" events).
  const enabled = (snapshot: AnyMachineSnapshot) =>
    events.filter(
      (event) =>
        !isInProcessOnly(machineId, statePath(snapshot.value), event.type) &&
        (role === 'client' || !isClientRole(statePath(snapshot.value), event.type)) &&
        machine.getTransitionData(snapshot as never, event).length > 0,
    );
  const isInitial = (snapshot: AnyMachineSnapshot) => statePath(snapshot.value) === initialState;
  const waysBack = new Map<string, PathStep[]>();
  const wayBack = (from: AnyMachineSnapshot): PathStep[] => {
    const key = statePath(from.value);
    let steps = waysBack.get(key);
    if (steps === undefined) {
      const [back] = byState.getShortestPaths({ events: enabled, fromState: from, toState: isInitial });
      waysBack.set(key, (steps = back === undefined ? [] : toSteps(back as unknown as RawPath)));
    }
    return steps;
  };
  const shortest = byTransition.getShortestPaths({ events: enabled }).map((path) => {
    const steps = toSteps(path as unknown as RawPath);
    return path.state.status === 'done' || isInitial(path.state) ? steps : [...steps, ...wayBack(path.state)];
  });
  const simple = byState.getSimplePaths({ events: enabled }).map((path) => toSteps(path as unknown as RawPath));

  const keys = (steps: PathStep[]) => steps.map((step) => eventKey(step.event));
  const isPrefixOf = (part: string[], whole: string[]) => part.length <= whole.length && part.every((key, i) => key === whole[i]);
  /** Drops the paths that are a prefix of another one (the first of equal paths stays). */
  const withoutPrefixes = (list: PathStep[][], others: PathStep[][] = []) => {
    const all = [...list, ...others].map(keys);
    return list.filter((steps, index) => {
      const own = all[index]!;
      return !all.some((other, j) => j !== index && isPrefixOf(own, other) && (own.length < other.length || j < index));
    });
  };
  // The client role's paths are those that take a client-role step (the rest are the server's).
  let source = initialState;
  const ofRole = (steps: PathStep[]) => {
    if (role === 'server') return true;
    source = initialState;
    return steps.some((step) => {
      const client = isClientRole(source, step.event.type);
      source = step.state;
      return client;
    });
  };
  const shortestPaths = withoutPrefixes(shortest.filter(isWireFeasible).filter(ofRole));

  const paths: ModelPath[] = [];
  const add = (generator: PathGenerator, list: PathStep[][]) =>
    list
      .filter((steps) => steps.length > 0)
      .forEach((steps, index) =>
        paths.push({
          id: `${machineId}.${role === 'client' ? 'client-' : ''}${generator}.${String(index + 1).padStart(2, '0')}`,
          machineId,
          role,
          generator,
          initialState,
          steps,
        }),
      );
  add('shortest', shortestPaths);
  // The client role takes the shortest paths only: they reach every branch, and its simple paths
  // would repeat every response sample before every later step (hundreds of paths, nothing new).
  if (role === 'client') return paths;
  add('simple', withoutPrefixes(simple.filter(isWireFeasible), shortestPaths).filter((steps) => !shortestPaths.some((other) => isPrefixOf(keys(steps), keys(other)))));
  return paths;
}

/** The machines whose states differ by role (the message machine is the same for both). */
const MACHINES_WITH_CLIENT_ROLE: readonly MachineId[] = ['connection', 'closingHandshake'];

/** The paths of every machine, connection first: the server role's, then the client role's. */
export function generatePaths(): ModelPath[] {
  return [
    ...MACHINE_IDS.flatMap((id) => generateMachinePaths(id, 'server')),
    ...MACHINES_WITH_CLIENT_ROLE.flatMap((id) => generateMachinePaths(id, 'client')),
  ];
}

/** The paths a server can be driven along over the wire (the probe, the TCP runs). */
export function generateServerPaths(): ModelPath[] {
  return generatePaths().filter((path) => path.role === 'server');
}
