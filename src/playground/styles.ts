// The playground's stylesheet, served as /playground/playground.css. System fonts only (nothing
// is fetched from elsewhere); one column on a phone, flow and outbox side by side on a desktop.
export const PLAYGROUND_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f6f7f9; --card: #fff; --line: #d0d5dc; --muted: #58606b;
  --accent: #0b57d0; --good: #146c2e; --warn: #8a5300; --bad: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --bg: #14171a; --card: #1d2126; --line: #3a414a; --muted: #a3abb5;
    --accent: #8ab4f8; --good: #7fd28f; --warn: #f2c25c; --bad: #f28b82; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.1rem; margin: 0 0 12px; }
header p { margin: 0 0 16px; color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin-bottom: 16px; }
.columns { display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr); }
.columns > section { margin: 0; }
@media (min-width: 800px) {
  .columns { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); grid-template-rows: auto auto 1fr; align-items: start;
    grid-template-areas: "send outbox" "check outbox" "state outbox"; }
  .send { grid-area: send; } .check { grid-area: check; } .state { grid-area: state; }
  .outbox { grid-area: outbox; position: sticky; top: 16px; }
  .outbox ol { max-height: calc(100vh - 200px); }
}
label { display: block; font-weight: 600; margin-top: 8px; }
input { display: block; width: 100%; font: inherit; padding: 8px 10px; margin-top: 4px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); }
#code { font-size: 1.4rem; letter-spacing: 0.2em; max-width: 14ch; }
.hint { color: var(--muted); font-size: 0.875rem; margin: 4px 0 8px; }
.row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
button { font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent);
  color: var(--card); cursor: pointer; min-height: 44px; }
#start { margin-top: 8px; }
button.secondary { background: transparent; color: var(--accent); }
button:disabled { opacity: 0.5; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.cooldown { font-weight: 600; color: var(--warn); margin: 8px 0 0; }
.status { margin: 0 0 8px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; border: 1px solid var(--line); font-weight: 700; }
.status[data-status="pending"] .badge { color: var(--accent); border-color: var(--accent); }
.status[data-status="approved"] .badge { color: var(--card); background: var(--good); border-color: var(--good); }
.status[data-status="canceled"] .badge, .status[data-status="expired"] .badge,
.status[data-status="max_attempts_reached"] .badge, .status[data-status="failed"] .badge { color: var(--card); background: var(--bad); border-color: var(--bad); }
#explain { margin: 0 0 12px; padding: 8px 12px; border-left: 4px solid var(--line); }
#explain[data-tone="good"] { border-color: var(--good); }
#explain[data-tone="warn"] { border-color: var(--warn); }
#explain[data-tone="bad"] { border-color: var(--bad); }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 12px; margin: 0 0 12px; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
#fact-id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.8rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem; background: var(--bg); padding: 8px; border-radius: 6px; }
.outbox ol { list-style: none; padding: 0; margin: 0; max-height: 20rem; overflow-y: auto; }
.outbox li { border: 1px solid var(--line); border-radius: 12px 12px 12px 2px; padding: 8px 12px; margin-bottom: 8px; }
.outbox li.mine { border-color: var(--accent); }
.outbox .meta { margin: 0; color: var(--muted); font-size: 0.8rem; }
.outbox .body { margin: 4px 0 0; overflow-wrap: anywhere; }
`;
