/**
 * The arguments of `statesocket connect URL`, checked before anything connects: a mistake here
 * is a usage error (exit 2), never a connection failure.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface ConnectArgs {
  url: string;
  /** Offered in Sec-WebSocket-Protocol, in this order. */
  subprotocols: string[];
  /** Extra request headers, `--header "Name: value"`. */
  headers: Record<string, string>;
  /** Offer permessage-deflate (default), or not with `--no-deflate`. */
  deflate: boolean;
  /** Send each stdin line as a binary message instead of a text message. */
  binary: boolean;
  /** Serve the live inspector on this local port (0: any free port); undefined: no inspector. */
  inspectPort: number | undefined;
  /** PEM certificates to trust for wss:// (`--ca FILE`). */
  ca: Buffer | undefined;
  /** Accept any certificate for wss:// (`--insecure`). */
  insecure: boolean;
  /** The Origin header, `--origin`. */
  origin: string | undefined;
}

/** A command-line mistake: main.ts prints it with the usage and exits 2. */
export class ConnectUsageError extends Error {}

/** RFC 7230 §3.2.6 token: a header name or a subprotocol. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function parseConnectArgs(args: string[]): ConnectArgs {
  let parsed;
  try {
    parsed = parseArgs({
      // A bare --inspect takes no value; parseArgs wants one for a string option.
      args: args.map((arg) => (arg === '--inspect' ? '--inspect=0' : arg)),
      allowPositionals: true,
      options: {
        subprotocol: { type: 'string', multiple: true },
        header: { type: 'string', multiple: true },
        'no-deflate': { type: 'boolean' },
        binary: { type: 'boolean' },
        inspect: { type: 'string' },
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        origin: { type: 'string' },
      },
    });
  } catch (error) {
    throw new ConnectUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new ConnectUsageError('connect: give one ws:// or wss:// URL');
  const url = positionals[0]!;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new ConnectUsageError(`connect: invalid URL "${url}"`);
  }
  if (protocol !== 'ws:' && protocol !== 'wss:') throw new ConnectUsageError(`connect: the URL must be ws:// or wss://, not ${protocol}//`);
  const subprotocols = values.subprotocol ?? [];
  for (const subprotocol of subprotocols) {
    if (!TOKEN.test(subprotocol)) throw new ConnectUsageError(`connect: invalid --subprotocol "${subprotocol}"`);
  }
  if (new Set(subprotocols).size !== subprotocols.length) throw new ConnectUsageError('connect: a --subprotocol is given twice');
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    const name = header.slice(0, colon).trim();
    if (colon < 0 || !TOKEN.test(name)) throw new ConnectUsageError(`connect: invalid --header "${header}" (want "Name: value")`);
    headers[name] = header.slice(colon + 1).trim();
  }
  let inspectPort: number | undefined;
  if (values.inspect !== undefined) {
    if (!/^\d{1,5}$/.test(values.inspect) || Number(values.inspect) > 65535) throw new ConnectUsageError(`connect: invalid --inspect=${values.inspect}`);
    inspectPort = Number(values.inspect);
  }
  let ca: Buffer | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca);
    } catch (error) {
      throw new ConnectUsageError(`connect: cannot read --ca ${values.ca}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return {
    url,
    subprotocols,
    headers,
    deflate: values['no-deflate'] !== true,
    binary: values.binary === true,
    inspectPort,
    ca,
    insecure: values.insecure === true,
    origin: values.origin,
  };
}
