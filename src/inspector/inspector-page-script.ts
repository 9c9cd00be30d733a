/**
 * The inspector page's script. It runs in the browser, not in Node: inspector-page.ts inlines
 * `(${inspectorPageScript})(config)` into the page, so the function must not refer to anything
 * outside its own body (the imports below are types only, erased by tsc).
 *
 * It opens the feed's WebSocket, draws the connection list, highlights each machine's state in
 * the inlined diagrams and appends to the event log. Every row of the log carries data
 * attributes (`data-kind`; `data-machine`, `data-source`, `data-target`, `data-event` for a
 * transition; `data-direction`, `data-opcode`, `data-fin`, `data-length`, `data-code` for a frame)
 * so that test/browser/inspector.browser.ts reads what the page showed, in order.
 */
import type {
  ConnectionSummary,
  DetailUpdate,
  FeedUpdate,
  InspectionEntry,
  ListUpdate,
  PageRequest,
} from './inspector-messages.js';

export interface PageConfig {
  readonly eventsPath: string;
  readonly flushIntervalMs: number;
  readonly eventsPerConnection: number;
  readonly historySize: number;
  /** Rows the log keeps in the DOM; older ones are removed. */
  readonly maxLogRows: number;
  /** In the order of a summary's `states`. */
  readonly machines: readonly {
    readonly id: string;
    /** What each state means, by path. */
    readonly explanations: Readonly<Record<string, string>>;
  }[];
}

export function inspectorPageScript(config: PageConfig): void {
  const opcodeNames: Record<number, string> = { 0: 'CONTINUATION', 1: 'TEXT', 2: 'BINARY', 8: 'CLOSE', 9: 'PING', 10: 'PONG' };
  const find = (id: string): HTMLElement => document.getElementById(id)!;
  const liveList = find('live-list');
  const closedList = find('closed-list');
  const log = find('log');
  const followBox = find('follow') as HTMLInputElement;

  let socket: WebSocket | undefined;
  let selected: number | undefined;
  let latestList: ListUpdate | undefined;

  /** An element with a class and text; text goes through textContent, never HTML (paths come from peers). */
  function element(tag: string, className = '', text = ''): HTMLElement {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function clock(ms: number): string {
    const date = new Date(ms);
    const two = (n: number) => String(n).padStart(2, '0');
    return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
  }

  function send(request: PageRequest): void {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request));
  }

  function setStatus(state: 'connecting' | 'live' | 'offline', text: string): void {
    const status = find('status');
    status.dataset['state'] = state;
    find('status-text').textContent = text;
  }

  // ------------------------------------------------------------ the connection list

  /**
   * `open`, `closing`, `1000`, `refused 426`, `1007 invalid UTF-8`: what a connection is, in a few
   * words. A connection the server failed shows the code and cause it sent, not the application's 1006.
   */
  function badgeOf(summary: ConnectionSummary): { text: string; tone: string; title: string } {
    if (summary.refusedStatus !== undefined) {
      return { text: `refused ${summary.refusedStatus}`, tone: 'muted', title: `opening handshake refused with HTTP ${summary.refusedStatus}` };
    }
    const failure = summary.failure;
    if (failure !== undefined) {
      const text = [failure.closeCode, failure.cause].filter((part) => part !== undefined).join(' ');
      const told = summary.closeCode === undefined ? '' : `; the application was told ${summary.closeCode}`;
      return { text, tone: 'bad', title: `failed by the server: Close ${failure.closeCode ?? '(none)'}${failure.error ? ` ${failure.error}` : ''}${told}` };
    }
    if (summary.closedAt === undefined) {
      return { text: summary.states[0], tone: summary.states[0] === 'open' ? 'good' : 'warn', title: `connection ${summary.states[0]}` };
    }
    const code = summary.closeCode;
    if (code === undefined) return { text: 'closed', tone: 'muted', title: 'closed' };
    return { text: String(code), tone: code === 1000 || code === 1001 ? 'good' : 'bad', title: `closed with ${code}` };
  }

  function listItem(summary: ConnectionSummary): HTMLElement {
    const item = element('li', summary.id === selected ? 'item selected' : 'item');
    item.dataset['id'] = String(summary.id);
    const top = element('div', 'item-top');
    const path = element('span', 'item-path', summary.path);
    // A path too long for the list ends in an ellipsis; the whole of it is in the tooltip.
    path.title = summary.path;
    top.append(element('span', 'item-id', `#${summary.id}`), path);
    const badge = badgeOf(summary);
    const badgeElement = element('span', `badge ${badge.tone}`, badge.text);
    badgeElement.title = badge.title;
    top.append(badgeElement);
    const messages = summary.messagesIn === 1 ? '1 message' : `${summary.messagesIn} messages`;
    const peer = summary.role === 'client' ? `client of ${summary.remoteAddress}` : summary.remoteAddress;
    const meta = element('div', 'item-meta', `${peer} · ${clock(summary.openedAt)} · ${messages}`);
    item.append(top, meta);
    return item;
  }

  function renderList(update: ListUpdate): void {
    latestList = update;
    liveList.replaceChildren(...update.live.map(listItem));
    closedList.replaceChildren(...update.closed.map(listItem));
    find('live-count').textContent = String(update.liveTotal);
    find('closed-count').textContent = String(update.closed.length);
    const more = find('live-more');
    more.hidden = update.liveTotal <= update.live.length;
    more.textContent = `… and ${update.liveTotal - update.live.length} older live connections not listed`;
    find('live-empty').hidden = update.liveTotal > 0;
    find('closed-empty').hidden = update.closed.length > 0;
  }

  function onListClick(event: MouseEvent): void {
    const item = (event.target as HTMLElement).closest<HTMLElement>('li.item');
    if (!item) return;
    followBox.checked = false;
    send({ type: 'select', id: Number(item.dataset['id']) });
  }

  // ------------------------------------------------------------ diagrams

  function highlight(states: readonly string[]): void {
    config.machines.forEach((machine, slot) => {
      const path = states[slot]!;
      const figure = find(`diagram-${machine.id}`);
      // A compound state's cluster is `state-text`, its child `state-text.finalFrame` (src/diagrams/svg.ts).
      for (const node of figure.querySelectorAll<SVGElement>('.state')) {
        const id = node.id.slice('state-'.length);
        node.classList.toggle('active', id === path);
        node.classList.toggle('active-parent', path.startsWith(`${id}.`));
      }
      figure.querySelector('.state-pill')!.textContent = path;
      const explanation = machine.explanations[path] ?? '';
      const caption = figure.querySelector<HTMLElement>('.explanation')!;
      caption.textContent = explanation;
      caption.title = explanation;
    });
  }

  function renderSummary(summary: ConnectionSummary): void {
    const badge = badgeOf(summary);
    find('summary-title').textContent = `#${summary.id} ${summary.path}`;
    const badgeElement = find('summary-badge');
    badgeElement.className = `badge ${badge.tone}`;
    badgeElement.textContent = badge.text;
    badgeElement.title = badge.title;
    const closed = summary.closedAt === undefined ? '' : ` · closed ${clock(summary.closedAt)}`;
    find('summary-meta').textContent = `${summary.role === 'client' ? 'client of' : 'from'} ${summary.remoteAddress} · opened ${clock(summary.openedAt)}${closed}`;
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const compression = summary.compression;
    const deflate =
      compression === undefined
        ? ' · no compression'
        : ` · ${compression.parameters} · ${count(compression.bytesSaved, 'byte')} saved ` +
          `(in ${compression.inflatedFrom} → ${compression.inflatedTo}, out ${compression.deflatedFrom} → ${compression.deflatedTo})`;
    find('summary-counts').textContent =
      `${count(summary.transitions, 'transition')} · ${count(summary.messagesIn, 'message')} in · ` +
      `${count(summary.framesIn, 'frame')} in · ${count(summary.framesOut, 'frame')} out${deflate}`;
  }

  // ------------------------------------------------------------ the event log

  function frameText(entry: Extract<InspectionEntry, { kind: 'frame' }>): string {
    const name = opcodeNames[entry.opcode] ?? `opcode ${entry.opcode}`;
    const parts = [name];
    if (entry.closeCode !== undefined) parts.push(String(entry.closeCode));
    return `${parts.join(' ')}  fin ${Number(entry.fin)} · rsv1 ${Number(entry.rsv1)} · ${entry.length} B`;
  }

  function row(entry: InspectionEntry): HTMLElement {
    const item = element('li', `row ${entry.kind}`);
    item.dataset['kind'] = entry.kind;
    item.dataset['seq'] = String(entry.seq);
    item.append(element('span', 'time', clock(entry.time)));
    const body = element('div', 'body');
    const line = element('div', 'line');
    body.append(line);
    if (entry.kind === 'transition') {
      const selfLoop = entry.source === entry.target;
      item.classList.toggle('self-loop', selfLoop);
      Object.assign(item.dataset, { machine: entry.machine, source: entry.source, target: entry.target, event: entry.event });
      line.append(element('span', `machine m-${entry.machine}`, entry.machine), element('span', 'event', entry.event));
      if (entry.detail) {
        const fields = Object.entries(entry.detail).map(([key, value]) => `${key} ${typeof value === 'boolean' ? Number(value) : value}`);
        line.append(element('span', 'detail', fields.join(' · ')));
      }
      const move = element('div', 'line move');
      move.append(element('span', '', selfLoop ? `${entry.source} ↺` : `${entry.source} → ${entry.target}`));
      if (entry.actions.length) move.append(element('span', 'actions', `/ ${entry.actions.join(', ')}`));
      body.append(move);
    } else if (entry.kind === 'frame') {
      Object.assign(item.dataset, { direction: entry.direction, opcode: String(entry.opcode), fin: String(Number(entry.fin)), length: String(entry.length) });
      if (entry.closeCode !== undefined) item.dataset['code'] = String(entry.closeCode);
      item.classList.add(entry.direction);
      line.append(element('span', 'direction', entry.direction === 'in' ? '← in' : '→ out'), element('span', '', frameText(entry)));
    } else {
      item.dataset['code'] = String(entry.code);
      line.append(element('span', 'direction', '✕ closed'), element('span', '', `${entry.code}${entry.reason ? ` “${entry.reason}”` : ''}`));
    }
    item.append(body);
    return item;
  }

  function appendEntries(detail: DetailUpdate): void {
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 24;
    const rows = document.createDocumentFragment();
    if (detail.dropped > 0) {
      const note = element(
        'li',
        'row note',
        `… ${detail.dropped} ${detail.dropped === 1 ? 'event' : 'events'} not shown: ` +
          `only the last ${config.eventsPerConnection} of each connection are kept`,
      );
      note.dataset['kind'] = 'dropped';
      rows.append(note);
    }
    for (const entry of detail.entries) rows.append(row(entry));
    log.append(rows);
    while (log.childElementCount > config.maxLogRows) log.firstElementChild!.remove();
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function renderDetail(detail: DetailUpdate): void {
    if (detail.reset || detail.id !== selected) {
      selected = detail.id;
      log.replaceChildren();
      document.body.classList.add('has-selection');
      if (latestList) renderList(latestList);
    }
    renderSummary(detail.summary);
    highlight(detail.summary.states);
    appendEntries(detail);
  }

  function onUpdate(update: FeedUpdate): void {
    if (update.list) renderList(update.list);
    if (update.detail) renderDetail(update.detail);
    const behind = find('behind');
    behind.hidden = update.skippedUpdates === 0;
    behind.textContent = `This page fell behind: ${update.skippedUpdates} updates were not sent`;
  }

  // ------------------------------------------------------------ the feed

  function connect(): void {
    setStatus('connecting', 'connecting…');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${config.eventsPath}`);
    socket = ws;
    ws.onopen = () => {
      setStatus('live', `live · updates every ${config.flushIntervalMs} ms`);
      if (followBox.checked || selected === undefined) send({ type: 'follow' });
      else send({ type: 'select', id: selected });
    };
    ws.onmessage = (message) => onUpdate(JSON.parse(String(message.data)) as FeedUpdate);
    ws.onclose = () => {
      setStatus('offline', 'disconnected · retrying');
      setTimeout(connect, 1000);
    };
  }

  liveList.addEventListener('click', onListClick);
  closedList.addEventListener('click', onListClick);
  followBox.addEventListener('change', () => {
    if (followBox.checked) send({ type: 'follow' });
  });
  for (const box of document.querySelectorAll<HTMLInputElement>('[data-log-filter]')) {
    box.addEventListener('change', () => log.classList.toggle(`hide-${box.dataset['logFilter']}`, !box.checked));
  }
  // ------------------------------------------------------------ zoom

  /** Zoom steps, as a share of the diagram's natural size (1 = the SVG file at 100%). */
  const zoomSteps = [0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4];

  /** The diagram's size at 100%, in CSS pixels (Graphviz writes points: 1 pt = 4/3 px). */
  function naturalSize(svg: SVGSVGElement): { width: number; height: number } {
    const { width, height } = svg.viewBox.baseVal;
    return { width: (width * 4) / 3, height: (height * 4) / 3 };
  }

  /** The scale at which the whole diagram fits its box. */
  function fitScale(figure: HTMLElement): number {
    const box = figure.querySelector<HTMLElement>('.svg')!;
    const natural = naturalSize(box.querySelector('svg')!);
    return Math.min(box.clientWidth / natural.width, box.clientHeight / natural.height);
  }

  function showZoom(figure: HTMLElement): void {
    const zoom = figure.dataset['zoom'];
    const scale = zoom === undefined || zoom === 'fit' ? fitScale(figure) : Number(zoom);
    figure.querySelector('.zoom-level')!.textContent = Number.isFinite(scale) && scale > 0 ? `${Math.round(scale * 100)}%` : '';
  }

  /**
   * Show the diagram at `scale` of its natural size ('fit': as large as fits its box), keeping the
   * point at (`x`, `y`) in the box where it was.
   */
  function setZoom(figure: HTMLElement, scale: number | 'fit', x?: number, y?: number): void {
    const box = figure.querySelector<HTMLElement>('.svg')!;
    const svg = box.querySelector('svg')!;
    const before = svg.getBoundingClientRect();
    const anchorX = x ?? box.clientWidth / 2;
    const anchorY = y ?? box.clientHeight / 2;
    const boxRect = box.getBoundingClientRect();
    // The anchor as a share of the drawing, before the change.
    const shareX = (boxRect.left + anchorX - before.left) / before.width;
    const shareY = (boxRect.top + anchorY - before.top) / before.height;
    figure.dataset['zoom'] = String(scale);
    figure.classList.toggle('zoomed', scale !== 'fit');
    if (scale === 'fit') {
      svg.style.width = svg.style.height = '';
    } else {
      const natural = naturalSize(svg);
      svg.style.width = `${natural.width * scale}px`;
      svg.style.height = `${natural.height * scale}px`;
      const after = svg.getBoundingClientRect();
      box.scrollLeft = shareX * after.width - anchorX;
      box.scrollTop = shareY * after.height - anchorY;
    }
    showZoom(figure);
  }

  function zoomBy(figure: HTMLElement, direction: 1 | -1, x?: number, y?: number): void {
    const zoom = figure.dataset['zoom'];
    const current = zoom === undefined || zoom === 'fit' ? fitScale(figure) : Number(zoom);
    const next =
      direction > 0
        ? zoomSteps.find((step) => step > current * 1.01) ?? zoomSteps.at(-1)!
        : [...zoomSteps].reverse().find((step) => step < current * 0.99) ?? zoomSteps[0]!;
    setZoom(figure, next, x, y);
  }

  for (const figure of document.querySelectorAll<HTMLElement>('.diagram')) {
    const box = figure.querySelector<HTMLElement>('.svg')!;
    figure.querySelector('.zoom-in')!.addEventListener('click', () => zoomBy(figure, 1));
    figure.querySelector('.zoom-out')!.addEventListener('click', () => zoomBy(figure, -1));
    figure.querySelector('.zoom-fit')!.addEventListener('click', () => setZoom(figure, 'fit'));
    figure.querySelector('.zoom-actual')!.addEventListener('click', () => setZoom(figure, 1));
    box.addEventListener('keydown', (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === '+' || event.key === '=') zoomBy(figure, 1);
      else if (event.key === '-') zoomBy(figure, -1);
      else if (event.key === '0') setZoom(figure, 'fit');
      else if (event.key === '1') setZoom(figure, 1);
      else return;
      event.preventDefault();
    });
    // Ctrl+wheel (a pinch on a touchpad) zooms at the pointer; the wheel alone scrolls a zoomed diagram.
    box.addEventListener(
      'wheel',
      (event) => {
        if (!event.ctrlKey && !event.metaKey) return;
        event.preventDefault();
        const rect = box.getBoundingClientRect();
        zoomBy(figure, event.deltaY < 0 ? 1 : -1, event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
    // Dragging a zoomed diagram moves it.
    box.addEventListener('pointerdown', (down) => {
      if (!figure.classList.contains('zoomed') || down.button !== 0) return;
      const start = { x: down.clientX, y: down.clientY, left: box.scrollLeft, top: box.scrollTop };
      const move = (event: PointerEvent) => {
        box.scrollLeft = start.left - (event.clientX - start.x);
        box.scrollTop = start.top - (event.clientY - start.y);
      };
      const up = () => {
        box.removeEventListener('pointermove', move);
        box.removeEventListener('pointerup', up);
      };
      box.setPointerCapture(down.pointerId);
      box.addEventListener('pointermove', move);
      box.addEventListener('pointerup', up);
    });
    const explain = figure.querySelector<HTMLElement>('.explain')!;
    const setExplained = (on: boolean) => {
      figure.classList.toggle('explained', on);
      explain.setAttribute('aria-pressed', String(on));
    };
    // Wide windows have room for what each state means; narrower ones show it on asking.
    setExplained(window.innerWidth >= 1600);
    explain.addEventListener('click', () => setExplained(!figure.classList.contains('explained')));
    new ResizeObserver(() => showZoom(figure)).observe(box);
  }

  for (const button of document.querySelectorAll<HTMLElement>('.expand')) {
    button.addEventListener('click', () => {
      const diagrams = find('diagrams');
      const machine = button.closest<HTMLElement>('.diagram')!.dataset['machine']!;
      const expanded = diagrams.dataset['expanded'] === machine ? '' : machine;
      diagrams.dataset['expanded'] = expanded;
      for (const each of document.querySelectorAll<HTMLElement>('.expand')) each.textContent = expanded ? 'show all' : 'expand';
    });
  }
  connect();
}
