/**
 * One WebSocket connection: the I/O layer around a ConnectionProtocol. It moves bytes between
 * the socket and the protocol core, owns the close timer, applies backpressure, and turns the
 * core's output into events for the application.
 *
 * Events: `message` (data: Buffer, isBinary: boolean), `ping` (data), `pong` (data),
 * `close` (code: number, reason: string), `error` (ProtocolError — emitted only when a
 * listener is attached, so a misbehaving peer can never crash a server that did not ask).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { ConnectionProtocol, type ProtocolOutput, type ReadyState } from './connection-protocol.js';
import type { CompiledTransition } from './compiled-machine.js';
import type { ProtocolEvent } from '../machines/protocol-events.js';
import type { ProtocolError } from './protocol-error.js';
import { refusalResponseText, type HandshakeRefusal } from './opening-handshake.js';
import type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import { PerMessageDeflateCodec } from './permessage-deflate/zlib-codec.js';
import type { FrameHook } from './inspector/inspection-hooks.js';

export interface ConnectionOptions {
  maxMessageSize: number;
  closeTimeoutMs: number;
  /** Stop reading from the peer while this many bytes wait to be written to it. */
  writeHighWaterMark: number;
  /** permessage-deflate settings, when the server offers it. */
  perMessageDeflate: PerMessageDeflateOptions | undefined;
  onTransition?: ((connection: WebSocketConnection, transition: CompiledTransition, event: ProtocolEvent) => void) | undefined;
  /** Called with every frame header read or written (the inspector). */
  onFrame?: FrameHook | undefined;
}

export interface SendOptions {
  /** Send a binary message (opcode 0x2); default: text for strings, binary for bytes. */
  binary?: boolean;
}

export class WebSocketConnection extends EventEmitter {
  /** The request path and query of the opening handshake, e.g. `/chat?room=1`. */
  readonly requestUrl: string;
  readonly remoteAddress: string | undefined;
  private readonly protocol: ConnectionProtocol;
  private closeTimer: NodeJS.Timeout | undefined;
  private readingPaused = false;
  private handlingData = false;
  private corkedUntilNextTick = false;
  private refusal: HandshakeRefusal | undefined;

  /** @internal Created by WebSocketServer for each upgrade request. */
  constructor(
    private readonly socket: Socket,
    request: IncomingMessage,
    private readonly options: ConnectionOptions,
  ) {
    super();
    this.requestUrl = request.url ?? '/';
    this.remoteAddress = socket.remoteAddress;
    const { onTransition, onFrame } = options;
    this.protocol = new ConnectionProtocol(this.output(), {
      maxMessageSize: options.maxMessageSize,
      perMessageDeflate: options.perMessageDeflate,
      createCompressor: (agreed, deflateOptions) => new PerMessageDeflateCodec(agreed, deflateOptions),
      onTransition: onTransition && ((transition, event) => onTransition(this, transition, event)),
      onFrame: onFrame && ((direction, opcode, length, fin, rsv1) => onFrame(this, direction, opcode, length, fin, rsv1)),
    });
  }

  /** RFC 6455 readyState, straight from the connection machine. */
  get readyState(): ReadyState {
    return this.protocol.readyState;
  }

  /** Bytes written but not yet handed to the operating system (as in the browser API). */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** The current state of each protocol machine. */
  get machineStates(): ConnectionProtocol['machineStates'] {
    return this.protocol.machineStates;
  }

  /** Send a message. Strings go as text, bytes as binary unless `options.binary` says otherwise. */
  send(data: string | Uint8Array, options: SendOptions = {}): void {
    const isBinary = options.binary ?? typeof data !== 'string';
    this.corkUntilNextTick();
    this.protocol.send(typeof data === 'string' ? Buffer.from(data) : data, isBinary);
  }

  ping(data?: string | Uint8Array): void {
    this.protocol.ping(data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Start the closing handshake (RFC 6455 §7.1.2). */
  close(code?: number, reason?: string): void {
    this.protocol.close(code, reason);
  }

  /** Drop the TCP connection without a closing handshake. */
  terminate(): void {
    this.socket.destroy();
  }

  /**
   * @internal Run the opening handshake on the upgrade request; `head` is the first bytes
   * after it. Returns whether the connection opened.
   */
  start(request: IncomingMessage, head: Buffer): boolean {
    const socket = this.socket;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onSocketClose());
    this.protocol.receiveHandshake({ method: request.method ?? '', httpVersion: request.httpVersion, headers: request.headers });
    if (this.refusal !== undefined) {
      socket.end(refusalResponseText(this.refusal));
      return false;
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => this.protocol.receiveTcpEnd());
    socket.on('drain', () => this.resumeReading());
    if (head.length > 0) this.onSocketData(head);
    return true;
  }

  private onSocketData(chunk: Buffer): void {
    // Everything written while handling one chunk (echoes, pongs) leaves in one writev.
    this.handlingData = true;
    this.socket.cork();
    this.protocol.receiveData(chunk);
    this.socket.uncork();
    this.handlingData = false;
    // Backpressure: a peer that sends but does not read must not make us buffer without bound.
    if (this.socket.writableLength > this.options.writeHighWaterMark && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    }
  }

  private resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.socket.resume();
  }

  /** Sends made outside a data event in the same tick leave together, in one writev. */
  private corkUntilNextTick(): void {
    if (this.handlingData || this.corkedUntilNextTick) return;
    this.corkedUntilNextTick = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corkedUntilNextTick = false;
      this.socket.uncork();
    });
  }

  private onSocketClose(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.protocol.receiveTcpClosed();
  }

  private output(): ProtocolOutput {
    const socket = this.socket;
    return {
      write: (bytes) => {
        if (!socket.destroyed && socket.writable) socket.write(bytes);
      },
      refuseHandshake: (refusal) => {
        this.refusal = refusal;
      },
      closeTcp: () => {
        socket.end();
        // Keep reading (and discarding) so that the peer's FIN is seen.
        this.resumeReading();
      },
      destroyTcp: () => socket.destroy(),
      startCloseTimer: () => {
        if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
        this.closeTimer = setTimeout(() => {
          this.closeTimer = undefined;
          this.protocol.closeTimeout();
        }, this.options.closeTimeoutMs);
        this.closeTimer.unref();
      },
      opened: () => {},
      message: (data, isBinary) => this.emit('message', data, isBinary),
      ping: (data) => this.emit('ping', data),
      pong: (data) => this.emit('pong', data),
      protocolError: (error: ProtocolError) => {
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
      closed: (code, reason) => this.emit('close', code, reason),
    };
  }
}
