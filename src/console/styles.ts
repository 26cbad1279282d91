// The console's stylesheet, served as /console/console.css. System fonts only (nothing is fetched
// from elsewhere); one column on a phone, charts two by two on a desktop; light and dark.
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f6f7f9; --card: #fff; --line: #d0d5dc; --muted: #58606b;
  --accent: #0b57d0; --good: #146c2e; --warn: #8a5300; --bad: #b3261e;
  --s1: #9db8e8; --s2: #0b57d0; --s3: #1f7a3a; --s4: #c9ced6; --s5: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --bg: #14171a; --card: #1d2126; --line: #3a414a; --muted: #a3abb5;
    --accent: #8ab4f8; --good: #7fd28f; --warn: #f2c25c; --bad: #f28b82;
    --s1: #3c5a8c; --s2: #8ab4f8; --s3: #7fd28f; --s4: #4a525c; --s5: #f28b82; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0; }
@media (max-width: 400px) { h1 { font-size: 1.2rem; } }
h2 { font-size: 1.15rem; margin: 0 0 12px; }
h3 { font-size: 1rem; margin: 20px 0 8px; }
.top { display: flex; justify-content: space-between; align-items: center; gap: 8px; margin-bottom: 8px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin-bottom: 16px; }
label { display: block; font-weight: 600; margin-top: 8px; }
input, select, textarea { display: block; width: 100%; font: inherit; padding: 8px 10px; margin-top: 4px; border: 1px solid var(--line);
  border-radius: 6px; background: var(--bg); color: var(--fg); min-height: 44px; }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.95rem; resize: vertical; }
input.short { max-width: 6ch; text-transform: uppercase; }
.hint { color: var(--muted); font-size: 0.875rem; margin: 4px 0 8px; }
.row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
form.inline, .service-bar, .panel-head { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; }
form.inline > div, .service-bar > div, .panel-head > div { flex: 1 1 12rem; min-width: 0; }
.service-bar > form { flex: 2 1 20rem; }
.panel-head h2 { flex: 1 1 100%; margin: 0; }
.panel-head > div { flex: 0 1 16rem; }
#period-note:empty { display: none; }
button { font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent);
  color: var(--card); cursor: pointer; min-height: 44px; }
button.secondary { background: transparent; color: var(--accent); }
button.small { padding: 4px 10px; min-height: 36px; }
button:disabled { opacity: 0.5; cursor: not-allowed; }
.danger-button { background: var(--bad); border-color: var(--bad); color: var(--card); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
#notice:empty { display: none; }
#notice { margin: 0 0 12px; padding: 8px 12px; border-left: 4px solid var(--line); background: var(--card); overflow-wrap: anywhere; }
#notice[data-tone="good"] { border-color: var(--good); }
#notice[data-tone="bad"] { border-color: var(--bad); }
.tabs { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 16px; }
.tabs button { background: var(--card); color: var(--accent); border-color: var(--line); }
.tabs button[aria-pressed="true"] { background: var(--accent); color: var(--card); border-color: var(--accent); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.table-wrap { overflow-x: auto; margin-top: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
.state-good { color: var(--good); font-weight: 600; }
.state-bad { color: var(--bad); }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; border: 1px solid var(--line); font-weight: 700; font-size: 0.85rem; white-space: nowrap; }
.badge[data-status="approved"] { color: var(--card); background: var(--good); border-color: var(--good); }
.badge[data-status="pending"] { color: var(--accent); border-color: var(--accent); }
.badge[data-status="failed"], .badge[data-status="max_attempts_reached"], .badge[data-status="expired"], .badge[data-status="canceled"] { color: var(--bad); border-color: var(--bad); }
.secret { border: 2px solid var(--warn); border-radius: 8px; padding: 12px; margin-top: 12px; }
.secret p { margin: 0 0 8px; }
.copy-row { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
.copy-row input { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9rem; margin: 0; }
.preview { margin: 8px 0; }
.bubble { border: 1px solid var(--line); border-radius: 14px 14px 14px 2px; padding: 10px 14px; margin: 0 0 8px; max-width: 34rem;
  background: var(--bg); overflow-wrap: anywhere; white-space: pre-wrap; }
.error { color: var(--bad); font-weight: 600; margin: 4px 0; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 12px; padding: 8px 12px 12px; min-width: 0; }
legend { font-weight: 700; padding: 0 4px; }
.grid { display: grid; gap: 4px 16px; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
.danger { margin-top: 16px; padding-top: 8px; border-top: 1px solid var(--line); }
.danger p { margin: 0 0 8px; color: var(--muted); }
.totals { display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); margin: 12px 0; }
.total { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.total dt { color: var(--muted); font-size: 0.85rem; }
.total dd { margin: 0; font-size: 1.5rem; font-weight: 700; }
.charts { display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 900px) { .charts { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); } }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; min-width: 0; }
.chart figcaption { font-weight: 700; margin-bottom: 4px; }
.chart svg { display: block; max-width: 100%; height: auto; }
.chart .bar.s1 { fill: var(--s1); } .chart .bar.s2 { fill: var(--s2); } .chart .bar.s3 { fill: var(--s3); }
.chart .bar.s4 { fill: var(--s4); } .chart .bar.s5 { fill: var(--s5); }
.chart .axis { stroke: var(--line); }
.chart text { fill: var(--fg); font-size: 13px; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.chart text.tick { fill: var(--muted); font-size: 12px; }
.chart text.value { font-weight: 600; }
`;
