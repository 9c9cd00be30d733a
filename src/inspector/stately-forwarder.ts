/**
 * The same inspection events, for Stately's inspector, through @statelyai/inspect (the XState v5
 * successor of @xstate/inspect, which speaks only to XState v4).
 *
 * Each forwarded connection appears as one actor per machine (`ws7.connection`, `ws7.message`,
 * `ws7.closingHandshake`): an `@xstate.actor` event carrying the machine's definition, then for
 * each transition an `@xstate.event` and an `@xstate.snapshot` — what an XState actor reports
 * through `createActor(machine, { inspect })`. The snapshot is the state the compiled table
 * stepped to, i.e. what really ran, rather than that of a second interpreter fed the same events
 * (which the tables are checked against in test/compiled-machine.test.ts).
 *
 * Which connections: the `maxConnections` most recently opened (an Autobahn run, one case per
 * connection, is followed case by case); an older one stops being forwarded when a newer opens.
 *
 * Where to: by default, the page at `/inspect/stately` on the server's own port (StatelyBridge).
 * That page embeds Stately's viewer, https://stately.ai/inspect, which is an ONLINE page: the
 * events leave the machine for the browser's frame, unlike the offline inspector at `/inspect`.
 * Or any inspector from @statelyai/inspect passed as `inspector`, e.g.
 * `createWebSocketInspector({ url: 'ws://localhost:8080' })` with the bridge server of
 * `@statelyai/inspect/server` (a second port, on every interface), or `createSkyInspector()`
 * (Stately's cloud relay).
 */
import type { AnyStateMachine } from 'xstate';
import type { createInspector, StatelyInspectionEvent } from '@statelyai/inspect';
import type { ProtocolTransition } from '../protocol-machines.js';
import { compiledMachines, MachineSlot, type MachineId } from '../protocol-machines.js';
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import type { WebSocketConnection } from '../websocket-connection.js';
import type { ConnectionRecord } from './connection-record.js';
import { eventDetail } from './inspection-hooks.js';

/** The part of @statelyai/inspect's `Inspector` used here; any of its inspectors has it. */
export type StatelyInspector = Pick<ReturnType<typeof createInspector>, 'actor' | 'event' | 'snapshot'>;

export interface StatelyOptions {
  /** How many connections are forwarded at once: the most recently opened. Default 10. */
  maxConnections?: number;
  /** Forward to this inspector instead of the page at `/inspect/stately`. */
  inspector?: StatelyInspector;
}

/** Stop sending to a bridge page while this many bytes wait to be written to it. */
const PAGE_HIGH_WATER_MARK = 1024 * 1024;

/** `text.finalFrame` → `{ text: 'finalFrame' }`, as an XState snapshot's `value`. */
export function stateValueOf(path: string): string | Record<string, unknown> {
  const dot = path.indexOf('.');
  return dot < 0 ? path : { [path.slice(0, dot)]: stateValueOf(path.slice(dot + 1)) };
}

function isFinalState(machine: AnyStateMachine, path: string): boolean {
  let node = machine.root;
  for (const key of path.split('.')) node = node.states[key]!;
  return node.type === 'final';
}

function snapshotOf(machine: AnyStateMachine, path: string) {
  return { status: isFinalState(machine, path) ? ('done' as const) : ('active' as const), value: stateValueOf(path) };
}

export class StatelyForwarder {
  /** The page at `/inspect/stately`, unless an inspector was given. */
  readonly bridge: StatelyBridge | undefined;
  private inspector: StatelyInspector | undefined;
  private readonly maxConnections: number;
  /** Forwarded connections by record id, oldest first. */
  private readonly forwarded = new Map<number, ConnectionRecord>();

  constructor(options: StatelyOptions = {}) {
    this.maxConnections = options.maxConnections ?? 10;
    if (options.inspector !== undefined) {
      this.inspector = options.inspector;
      return;
    }
    const bridge = new StatelyBridge(this.maxConnections * compiledMachines.length);
    this.bridge = bridge;
    // Loaded only when asked for: @statelyai/inspect brings its own WebSocket and cloud clients.
    import('@statelyai/inspect').then(
      ({ createInspector }) => {
        const inspector = createInspector(bridge);
        this.inspector = inspector;
        for (const record of this.forwarded.values()) register(inspector, record);
      },
      (error: Error) => console.error(`statesocket inspector: @statelyai/inspect could not be loaded: ${error.message}`),
    );
  }

  /** A connection was opened: forward it, and stop forwarding the oldest one beyond the limit. */
  track(record: ConnectionRecord): void {
    if (this.maxConnections < 1) return;
    this.forwarded.set(record.id, record);
    if (this.forwarded.size > this.maxConnections) this.forwarded.delete(this.forwarded.keys().next().value!);
    if (this.inspector === undefined) return;
    try {
      register(this.inspector, record);
    } catch (error) {
      this.stopOnError(error);
    }
  }

  transition(record: ConnectionRecord, transition: ProtocolTransition, event: ProtocolEvent): void {
    const inspector = this.inspector;
    if (inspector === undefined || !this.forwarded.has(record.id)) return;
    const sessionId = sessionIdOf(record.id, transition.machineId);
    const eventObject = { ...eventDetail(event), type: transition.eventType };
    const machine = compiledMachines[MachineSlot[transition.machineId as MachineId]].machine;
    try {
      inspector.event(sessionId, eventObject);
      inspector.snapshot(sessionId, snapshotOf(machine, transition.target), { event: eventObject });
    } catch (error) {
      this.stopOnError(error);
    }
  }

  /** An inspector that throws must not fail the connection it inspects: stop forwarding, say so once. */
  private stopOnError(error: unknown): void {
    this.inspector = undefined;
    this.forwarded.clear();
    console.error(`statesocket inspector: forwarding to Stately stopped: ${(error as Error).message}`);
  }
}

/** Announce a connection's machines as actors, in the states they are in now. */
function register(inspector: StatelyInspector, record: ConnectionRecord): void {
  compiledMachines.forEach(({ machine }, slot) => {
    const snapshot = snapshotOf(machine, record.states[slot]!);
    // The inspector reads the definition from `logic.config`, as it would from a real actor.
    const actorRef = { sessionId: sessionIdOf(record.id, machine.id), send: () => {}, getSnapshot: () => snapshot, logic: machine };
    inspector.actor(actorRef, snapshot);
  });
}

function sessionIdOf(recordId: number, machineId: string): string {
  return `ws${recordId}.${machineId}`;
}

/**
 * An @statelyai/inspect adapter that relays inspection events to the pages open at
 * `/inspect/stately` (over the server's own WebSocket, `/inspect/stately/events`). A page opened
 * late is sent each forwarded actor and its latest snapshot first. With no page open, nothing is
 * serialized.
 */
export class StatelyBridge {
  private readonly pages = new Set<WebSocketConnection>();
  /** By session id, oldest first: the actor's registration and its latest snapshot. */
  private readonly actors = new Map<string, { actor: StatelyInspectionEvent; snapshot: StatelyInspectionEvent | undefined }>();
  /** Events not sent to a page because it was not reading. */
  dropped = 0;

  constructor(private readonly maxActors: number) {}

  /** Called by @statelyai/inspect's `createInspector` for every inspection event. */
  send(event: StatelyInspectionEvent): void {
    if (event.type === '@xstate.actor') {
      this.actors.set(event.sessionId, { actor: event, snapshot: undefined });
      if (this.actors.size > this.maxActors) this.actors.delete(this.actors.keys().next().value!);
    } else if (event.type === '@xstate.snapshot') {
      const entry = this.actors.get(event.sessionId);
      if (entry !== undefined) entry.snapshot = event;
    }
    if (this.pages.size === 0) return;
    const text = JSON.stringify(event);
    for (const page of this.pages) {
      if (page.readyState !== page.OPEN) continue;
      if (page.bufferedAmount > PAGE_HIGH_WATER_MARK) this.dropped++;
      else page.send(text);
    }
  }

  addPage(page: WebSocketConnection): void {
    for (const { actor } of this.actors.values()) page.send(JSON.stringify(actor));
    for (const { snapshot } of this.actors.values()) if (snapshot !== undefined) page.send(JSON.stringify(snapshot));
    this.pages.add(page);
    page.once('close', () => this.pages.delete(page));
  }
}
