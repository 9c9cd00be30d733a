/**
 * The inspector's HTML pages, self-contained: styles, script and the machines' SVG diagrams are
 * inlined, and the Content-Security-Policy sent with the page lets it reach nothing but the
 * server it came from.
 *
 * `inspectorPageHtml` draws the diagrams with src/diagrams (Graphviz compiled to WASM), loaded
 * on the first request for the page so that a server without the inspector never loads it.
 */
import { compiledMachines } from '../protocol-machines.js';
import { machineGraph } from '../diagrams/machine-graph.js';
import { stateExplanation } from '../diagrams/readme.js';
import { machineExplanations } from '../diagrams/state-explanations.js';
import { inspectorPageScript, type PageConfig } from './inspector-page-script.js';

/** The page may load nothing and connect nowhere but back to this server. */
export const inspectorPageSecurityPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** The Stately bridge page may also frame Stately's (online) viewer. */
export const statelyBridgeSecurityPolicy =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-src https://stately.ai; connect-src 'self'; base-uri 'none'";

/** Stately's inspector viewer, as @statelyai/inspect opens it by default. */
export const statelyViewerUrl = 'https://stately.ai/inspect';

/** `closingHandshake` → `closing-handshake`, the machine's file stem in diagrams/. */
function fileStem(machineId: string): string {
  return machineId.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** JSON that can sit inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** An SVG document as an element to inline into HTML: no XML declaration, doctype or comments; scaled to fit, top-aligned. */
function inlineSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>\s*/, '')
    .replace(/<!DOCTYPE[^>]*>\s*/, '')
    .replace(/<!--[\s\S]*?-->\s*/g, '')
    .replace('<svg ', '<svg preserveAspectRatio="xMidYMin meet" ');
}

const styles = `
:root {
  --bg: #f5f6f8; --panel: #fff; --line: #e2e5ea; --text: #1f2937; --muted: #6b7280; --accent: #4f46e5;
  --active: #f59e0b; --active-fill: #fef3c7; --good: #047857; --good-bg: #d1fae5; --warn: #b45309; --warn-bg: #fef3c7;
  --bad: #b91c1c; --bad-bg: #fee2e2; --m-connection: #2563eb; --m-message: #7c3aed; --m-closingHandshake: #0f766e;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { display: grid; grid-template-rows: auto minmax(0, 1fr); background: var(--bg); color: var(--text);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
h2 { font-size: 11px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); margin: 0; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 18px; background: var(--panel); border-bottom: 1px solid var(--line); }
.brand { font-size: 15px; font-weight: 650; }
.brand span { font-weight: 400; color: var(--muted); }
#behind { color: var(--bad); background: var(--bad-bg); border-radius: 4px; padding: 2px 8px; }
.status { margin-left: auto; display: flex; align-items: center; gap: 6px; color: var(--muted); }
.status::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.status[data-state="live"]::before { background: #10b981; box-shadow: 0 0 0 3px #d1fae5; }
.status[data-state="offline"]::before { background: var(--bad); }
main { display: grid; grid-template-columns: clamp(220px, 19vw, 260px) minmax(0, 1fr) clamp(270px, 27vw, 410px); min-height: 0; }
aside { border-right: 1px solid var(--line); background: var(--panel); overflow-y: auto; padding: 12px 0; }
aside h2 { padding: 14px 16px 6px; display: flex; justify-content: space-between; }
.follow { display: flex; gap: 8px; align-items: center; padding: 0 16px 4px; color: var(--muted); cursor: pointer; }
aside ol { list-style: none; margin: 0; padding: 0 8px; }
.empty, #live-more { color: var(--muted); padding: 4px 16px; margin: 0; font-size: 12px; }
.item { padding: 7px 8px; border-radius: 6px; cursor: pointer; border: 1px solid transparent; }
.item:hover { background: #f3f4f6; }
.item.selected { background: #eef2ff; border-color: #c7d2fe; }
.item-top { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 6px; }
.item-id { font-weight: 600; font-variant-numeric: tabular-nums; }
.item-path { flex: 1 0 auto; max-width: 100%; font-family: var(--mono); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.item-meta { color: var(--muted); font-size: 11.5px; margin-top: 1px; }
.badge { font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 9px; background: #f3f4f6; color: var(--muted); max-width: 100%; }
.badge.good { background: var(--good-bg); color: var(--good); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
#view { display: grid; grid-template-rows: auto minmax(0, 1fr); min-height: 0; padding: 14px; gap: 12px; }
#summary { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
#summary .title-line { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; }
#summary-title { font-size: 15px; font-weight: 600; font-family: var(--mono); overflow-wrap: anywhere; min-width: 0; }
#summary-meta, #summary-counts { color: var(--muted); margin-top: 2px; }
#summary-counts { font-variant-numeric: tabular-nums; }
body:not(.has-selection) #summary .title-line, body:not(.has-selection) #summary-counts { display: none; }
body.has-selection #no-selection { display: none; }
#diagrams { display: grid; gap: 12px; min-height: 0;
  grid-template-columns: minmax(0, 1.45fr) minmax(0, 1fr); grid-template-rows: minmax(0, 1fr) minmax(0, 1.6fr);
  grid-template-areas: "message connection" "message closingHandshake"; }
#diagrams[data-expanded="connection"], #diagrams[data-expanded="message"], #diagrams[data-expanded="closingHandshake"] {
  grid-template-columns: minmax(0, 1fr); grid-template-rows: minmax(0, 1fr); grid-template-areas: "expanded"; }
#diagrams[data-expanded="connection"] .diagram:not([data-machine="connection"]),
#diagrams[data-expanded="message"] .diagram:not([data-machine="message"]),
#diagrams[data-expanded="closingHandshake"] .diagram:not([data-machine="closingHandshake"]) { display: none; }
#diagrams:not([data-expanded=""])[data-expanded] .diagram { grid-area: expanded; }
.diagram { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  display: grid; grid-template-rows: auto auto minmax(0, 1fr); min-height: 0; overflow: hidden; }
.diagram[data-machine="connection"] { grid-area: connection; }
.diagram[data-machine="message"] { grid-area: message; }
.diagram[data-machine="closingHandshake"] { grid-area: closingHandshake; }
.diagram figcaption { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; padding: 8px 10px 0 12px; }
.diagram .name { font-weight: 600; }
.diagram .name::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 2px; margin-right: 6px; }
.diagram[data-machine="connection"] .name::before { background: var(--m-connection); }
.diagram[data-machine="message"] .name::before { background: var(--m-message); }
.diagram[data-machine="closingHandshake"] .name::before { background: var(--m-closingHandshake); }
.state-pill { font-family: var(--mono); font-size: 12px; background: var(--active-fill); color: #92400e;
  border: 1px solid #fcd34d; border-radius: 4px; padding: 0 6px; max-width: 100%; overflow-wrap: anywhere; }
.state-pill:empty { display: none; }
.tools { margin-left: auto; display: flex; flex-wrap: wrap; justify-content: flex-end; gap: 2px; }
.tools button { border: 1px solid var(--line); background: var(--panel); border-radius: 4px; color: var(--muted);
  cursor: pointer; font: 12px/1.3 system-ui, sans-serif; padding: 1px 7px; min-width: 24px; }
.tools button:hover, .tools button:focus-visible { color: var(--text); }
.tools button[aria-pressed="true"] { background: #eef2ff; color: var(--accent); }
.zoom-level { color: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; align-self: center; min-width: 3.2em; text-align: right; }
.explanation { margin: 2px 12px 0; color: var(--muted); font-size: 12px; line-height: 1.4; max-height: 7em; overflow-y: auto; }
.diagram:not(.explained) .explanation { display: none; }
.svg { min-height: 0; min-width: 0; margin: 6px; overflow: auto; outline-offset: -2px; }
.svg svg { width: 100%; height: 100%; display: block; }
.diagram.zoomed .svg svg { max-width: none; max-height: none; cursor: grab; }
.svg svg > g > polygon:first-of-type { fill: transparent; }
.svg .edge path, .svg .edge polygon { stroke: #9ca3af; }
.svg .edge polygon { fill: #9ca3af; }
.svg .edge text { fill: #6b7280; }
.svg .state > path, .svg .state > polygon, .svg .state > ellipse { transition: fill .15s, stroke .15s; }
.svg .state.active > path, .svg .state.active > polygon, .svg .state.active > ellipse {
  fill: var(--active-fill); stroke: var(--active); stroke-width: 4px; }
.svg .state.active > text { font-weight: 700; fill: #78350f; }
.svg .state.active-parent > path { fill: #fffbeb; stroke: var(--active); stroke-width: 2px; stroke-dasharray: 6 4; }
#log-panel { display: grid; grid-template-rows: auto minmax(0, 1fr); border-left: 1px solid var(--line); background: var(--panel); min-height: 0; }
.log-head { display: flex; align-items: center; gap: 12px; padding: 12px 14px; border-bottom: 1px solid var(--line); }
.log-head h2 { margin-right: auto; }
.log-head label { display: flex; align-items: center; gap: 4px; color: var(--muted); cursor: pointer; }
#log { list-style: none; margin: 0; padding: 6px 0; overflow-y: auto; font-family: var(--mono); font-size: 11.5px; }
.row { display: grid; grid-template-columns: 84px minmax(0, 1fr); gap: 8px; padding: 3px 12px; align-items: baseline; border-bottom: 1px solid #f3f4f6; }
.row:hover { background: #f9fafb; }
.row .time { color: #9ca3af; font-variant-numeric: tabular-nums; }
.row .machine { font-weight: 600; overflow: hidden; text-overflow: ellipsis; }
.m-connection { color: var(--m-connection); }
.m-message { color: var(--m-message); }
.m-closingHandshake { color: var(--m-closingHandshake); }
.row .line { display: flex; flex-wrap: wrap; column-gap: 8px; overflow-wrap: anywhere; }
.row .move { color: #374151; }
.row .event { font-weight: 600; }
.row .detail, .row .actions { color: var(--muted); }
.row.self-loop { opacity: .7; }
.row.frame { background: #f8fafc; }
.row.frame .direction { font-weight: 600; }
.row.frame.in .direction { color: #0369a1; }
.row.frame.out .direction { color: #15803d; }
.row.closed { color: var(--bad); font-weight: 600; }
.row.note { display: block; color: var(--warn); background: var(--warn-bg); font-family: system-ui, sans-serif; }
#log.hide-frames .row.frame, #log.hide-transitions .row.transition { display: none; }
`;

/** How the feed serves its page. */
export interface InspectorPageSettings {
  readonly eventsPath: string;
  readonly flushIntervalMs: number;
  readonly eventsPerConnection: number;
  readonly historySize: number;
}

export async function inspectorPageHtml(settings: InspectorPageSettings): Promise<string> {
  const { machineSvg } = await import('../diagrams/svg.js');
  const machines = compiledMachines.map(({ machine }) => machine);
  const svgs = await Promise.all(machines.map((machine) => machineSvg(machine)));
  const config: PageConfig = {
    ...settings,
    maxLogRows: 2000,
    machines: machines.map((machine) => {
      const section = { graph: machineGraph(machine), explanation: machineExplanations[machine.id] };
      const explanations = Object.fromEntries(
        section.graph.states.map((state) => [state.path, stateExplanation(section, state.path) ?? '']),
      );
      return { id: machine.id, explanations };
    }),
  };
  const figures = machines
    .map(
      (machine, slot) => `
      <figure class="diagram" id="diagram-${machine.id}" data-machine="${machine.id}">
        <figcaption><span class="name">${machine.id}</span><span class="state-pill"></span>
          <span class="tools">
            <button class="explain" type="button" aria-pressed="false" title="What the state means">?</button>
            <button class="zoom-out" type="button" title="Zoom out (-)" aria-label="Zoom out">−</button>
            <span class="zoom-level" aria-live="polite"></span>
            <button class="zoom-in" type="button" title="Zoom in (+)" aria-label="Zoom in">+</button>
            <button class="zoom-fit" type="button" title="Fit the diagram in its box (0)">fit</button>
            <button class="zoom-actual" type="button" title="Actual size, as diagrams/${fileStem(machine.id)}.svg at 100% (1)">1:1</button>
            <button class="expand" type="button" title="Show this diagram alone, or all three">expand</button>
          </span></figcaption>
        <p class="explanation"></p>
        <div class="svg" tabindex="0" role="group" aria-label="the ${machine.id} diagram: + and - zoom, 0 fits, 1 is actual size; Ctrl+wheel zooms at the pointer">${inlineSvg(svgs[slot]!)}</div>
      </figure>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>statesocket inspector</title>
<link rel="icon" href="data:,">
<style>${styles}</style>
</head>
<body>
<header>
  <div class="brand">statesocket <span>inspector</span></div>
  <div id="behind" hidden></div>
  <div id="status" class="status" data-state="connecting"><span id="status-text">connecting…</span></div>
</header>
<main>
  <aside>
    <label class="follow"><input type="checkbox" id="follow" checked> Follow the newest connection</label>
    <h2>Live <span id="live-count">0</span></h2>
    <ol id="live-list"></ol>
    <p class="empty" id="live-empty">No open connections.</p>
    <p id="live-more" hidden></p>
    <h2>Recently closed <span id="closed-count">0</span></h2>
    <ol id="closed-list"></ol>
    <p class="empty" id="closed-empty">The last ${settings.historySize} closed connections are kept.</p>
  </aside>
  <section id="view">
    <div id="summary">
      <div class="title-line"><span id="summary-title"></span><span id="summary-badge" class="badge"></span></div>
      <div id="summary-meta"><span id="no-selection">No connection yet: open a WebSocket to this server and it shows here.</span></div>
      <div id="summary-counts"></div>
    </div>
    <div id="diagrams" data-expanded="">${figures}
    </div>
  </section>
  <section id="log-panel">
    <div class="log-head">
      <h2>Event log</h2>
      <label><input type="checkbox" data-log-filter="frames" checked> frames</label>
      <label><input type="checkbox" data-log-filter="transitions" checked> transitions</label>
    </div>
    <ol id="log"></ol>
  </section>
</main>
<script>(${inspectorPageScript.toString()})(${scriptJson(config)});</script>
</body>
</html>
`;
}

/**
 * The page at `/inspect/stately`: Stately's viewer in a frame, fed the events that arrive on
 * `eventsPath`, as the bridge page of `@statelyai/inspect/server` does. The viewer is online.
 */
export function statelyBridgeHtml(eventsPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>statesocket · Stately inspector</title>
<link rel="icon" href="data:,">
<style>html, body { height: 100%; margin: 0; } iframe { width: 100%; height: 100%; border: 0; display: block; }</style>
</head>
<body>
<iframe id="viewer" src="${statelyViewerUrl}"></iframe>
<script>
  const viewer = document.getElementById('viewer');
  const waiting = [];
  let ready = false;
  // The viewer says it is ready with '@statelyai.connected'; events that come before wait.
  window.addEventListener('message', (message) => {
    if (message.source !== viewer.contentWindow || message.data?.type !== '@statelyai.connected') return;
    ready = true;
    for (const event of waiting.splice(0)) viewer.contentWindow.postMessage(event, ${scriptJson(statelyViewerUrl)});
  });
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(scheme + '://' + location.host + ${scriptJson(eventsPath)});
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (ready) viewer.contentWindow.postMessage(event, ${scriptJson(statelyViewerUrl)});
    else waiting.push(event);
  };
</script>
</body>
</html>
`;
}
