// The console's insights charts: inline SVG sized to the figure's width, labelled in text so a
// figure reads without the picture (role="img" with the caption as its name).
import { clear, el, svg } from "./dom.ts";
import type { InsightsReport } from "./wire.ts";

export type Day = InsightsReport["byDay"][number];

export interface Series {
  key: "started" | "approved" | "medianSecondsToApprove";
  name: string;
  /** The bar's colour class (s1…s5 in the stylesheet). */
  cls: string;
}

export interface Bar {
  label: string;
  /** The whole bar. */
  value: number;
  /** The part of it that matters, drawn over it. */
  part: number;
  text: string;
}

function frame(figure: HTMLElement, title: string, height: number): { root: SVGElement; width: number } {
  clear(figure);
  const caption = el("figcaption", { text: title });
  caption.id = `${figure.id}-title`;
  figure.appendChild(caption);
  const width = Math.max(260, Math.floor(figure.clientWidth) || 300);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": caption.id });
  root.appendChild(svg("title", {}, title));
  figure.appendChild(root);
  return { root, width };
}

function empty(figure: HTMLElement, title: string): void {
  clear(figure);
  figure.appendChild(el("figcaption", { text: title }));
  figure.appendChild(el("p", { className: "hint", text: "No data in this period yet." }));
}

/** Grouped columns per day, with `label(day)` above each group ("" for none). */
export function columns(figure: HTMLElement, title: string, days: readonly Day[], series: readonly Series[], label: (day: Day) => string): void {
  let max = 0;
  for (const d of days) for (const s of series) max = Math.max(max, d[s.key] || 0);
  // A day with a label has data even at 0 (a median of 0 s): it gets a sliver of a bar.
  if (max === 0 && !days.some((d) => label(d) !== "")) return empty(figure, title);
  max = Math.max(max, 1);
  const height = 220;
  const f = frame(figure, title, height);
  const left = 8;
  const right = 8;
  const top = 22;
  const bottom = 40;
  const plotW = f.width - left - right;
  const plotH = height - top - bottom;
  const group = plotW / days.length;
  const barW = Math.max(2, Math.min(24, (group - 4) / series.length));
  const every = Math.max(1, Math.ceil((days.length * 44) / plotW));
  f.root.appendChild(svg("line", { x1: left, x2: f.width - right, y1: top + plotH, y2: top + plotH, class: "axis" }));
  days.forEach((d, i) => {
    const x0 = left + i * group + (group - barW * series.length) / 2;
    series.forEach((s, j) => {
      const v = d[s.key] || 0;
      const h = Math.max(label(d) ? 2 : 0, Math.round((v / max) * plotH));
      const rect = svg("rect", { x: x0 + j * barW, y: top + plotH - h, width: Math.max(1, barW - 1), height: h, class: `bar ${s.cls}` });
      rect.appendChild(svg("title", {}, `${d.day} · ${s.name}: ${v}`));
      f.root.appendChild(rect);
    });
    const text = label(d);
    if (text && i % every === 0) {
      const top0 = Math.min(...series.map((s) => top + plotH - Math.max(2, Math.round(((d[s.key] || 0) / max) * plotH))));
      f.root.appendChild(svg("text", { x: left + i * group + group / 2, y: Math.max(12, top0 - 5), class: "value", "text-anchor": "middle" }, text));
    }
    if (i % every === 0) f.root.appendChild(svg("text", { x: left + i * group + group / 2, y: height - 24, class: "tick", "text-anchor": "middle" }, d.day.slice(5)));
  });
  let lx = left;
  for (const s of series) {
    f.root.appendChild(svg("rect", { x: lx, y: height - 13, width: 10, height: 10, class: `bar ${s.cls}` }));
    f.root.appendChild(svg("text", { x: lx + 14, y: height - 4, class: "tick" }, s.name));
    lx += 24 + s.name.length * 7;
  }
}

/** Horizontal bars: the whole and the part of it that matters, labelled in text. */
export function bars(figure: HTMLElement, title: string, rows: readonly Bar[], wholeCls: string, partCls: string): void {
  if (rows.length === 0 || rows.every((r) => r.value === 0)) return empty(figure, title);
  const rowH = 44;
  const height = rows.length * rowH + 4;
  const f = frame(figure, title, height);
  const max = Math.max(...rows.map((r) => r.value));
  rows.forEach((r, i) => {
    const y = 2 + i * rowH;
    // Label and figures on one line above the bar: nothing is cut off at 360 px.
    f.root.appendChild(svg("text", { x: 0, y: y + 14, class: "label" }, r.label));
    f.root.appendChild(svg("text", { x: f.width, y: y + 14, class: "value", "text-anchor": "end" }, r.text));
    const whole = Math.max(1, Math.round((r.value / max) * f.width));
    const part = Math.round((r.part / max) * f.width);
    f.root.appendChild(svg("rect", { x: 0, y: y + 20, width: whole, height: 16, class: `bar ${wholeCls}` }));
    if (part > 0) f.root.appendChild(svg("rect", { x: 0, y: y + 20, width: part, height: 16, class: `bar ${partCls}` }));
  });
}
