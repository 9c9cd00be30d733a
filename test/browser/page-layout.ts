/**
 * In the page: does the inspector show all it holds? `layoutProblems` runs in the browser (so it
 * must not refer to anything outside its body) and names, in sentences:
 * - the page itself scrolling (the layout must fit the window);
 * - a panel whose content is wider than the panel (panels may scroll down, never sideways);
 * - an element that cuts its content off (`overflow: hidden` or `clip` with more content than
 *   box), except text that ends in an ellipsis and carries its whole text as its tooltip;
 * - a badge (a connection's state or close code, a diagram's current state) not wholly visible:
 *   outside the window or cut by a box around it, once scrolled into view.
 */
export function layoutProblems(): string[] {
  const problems: string[] = [];
  const name = (element: Element): string =>
    element.id ? `#${element.id}` : `${element.tagName.toLowerCase()}${[...element.classList].map((c) => `.${c}`).join('')}`;
  const path = (element: Element): string => {
    const parts: string[] = [];
    for (let at: Element | null = element; at && at !== document.body; at = at.parentElement) {
      parts.unshift(name(at));
      if (at.id) break;
    }
    return parts.join(' > ');
  };
  const visible = (element: Element): boolean => {
    const style = getComputedStyle(element);
    return style.display !== 'none' && style.visibility !== 'hidden' && element.getClientRects().length > 0;
  };
  const SLACK = 1;

  const root = document.documentElement;
  if (root.scrollWidth > innerWidth + SLACK || root.scrollHeight > innerHeight + SLACK) {
    problems.push(`the page scrolls: ${root.scrollWidth}×${root.scrollHeight} in a ${innerWidth}×${innerHeight} window`);
  }

  for (const panel of document.querySelectorAll('header, aside, #view, #summary, .diagram, #log-panel, #log')) {
    if (visible(panel) && panel.scrollWidth > panel.clientWidth + SLACK) {
      problems.push(`${path(panel)} is ${panel.scrollWidth - panel.clientWidth} px too narrow for its content`);
    }
  }

  for (const element of document.body.querySelectorAll('*')) {
    if (element instanceof SVGElement || !visible(element)) continue;
    const style = getComputedStyle(element);
    const clipsX = style.overflowX === 'hidden' || style.overflowX === 'clip';
    const clipsY = style.overflowY === 'hidden' || style.overflowY === 'clip';
    const cutX = clipsX && element.scrollWidth > element.clientWidth + SLACK;
    const cutY = clipsY && element.scrollHeight > element.clientHeight + SLACK;
    if (!cutX && !cutY) continue;
    const tooltipHoldsAll =
      style.textOverflow === 'ellipsis' && element instanceof HTMLElement && element.title === element.textContent;
    if (!tooltipHoldsAll) problems.push(`${path(element)} cuts off its content (${cutX ? 'width' : 'height'})`);
  }

  for (const badge of document.querySelectorAll('.badge, .state-pill')) {
    if (!visible(badge) || !badge.textContent) continue;
    badge.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const rect = badge.getBoundingClientRect();
    const label = `badge "${badge.textContent}" (${path(badge)})`;
    if (badge.scrollWidth > badge.clientWidth + SLACK) problems.push(`${label} is too narrow for its text`);
    if (rect.left < -SLACK || rect.top < -SLACK || rect.right > innerWidth + SLACK || rect.bottom > innerHeight + SLACK) {
      problems.push(`${label} is outside the window`);
    }
    for (let box = badge.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const outer = box.getBoundingClientRect();
      const left = outer.left + box.clientLeft;
      const top = outer.top + box.clientTop;
      if (rect.left < left - SLACK || rect.top < top - SLACK || rect.right > left + box.clientWidth + SLACK || rect.bottom > top + box.clientHeight + SLACK) {
        problems.push(`${label} is cut by ${path(box)}`);
      }
    }
  }
  return problems;
}
