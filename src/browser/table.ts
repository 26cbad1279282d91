// The body of a table whose head the page rendered (src/console/routes.tsx, DataTable): the rows,
// or one cell across every column that says there are none.
import { clear, el } from "./dom.ts";

export function fillTable(table: HTMLTableElement, rows: readonly HTMLTableRowElement[], emptyText: string): void {
  const body = table.tBodies[0];
  if (!body) throw new Error(`#${table.id} has no tbody`);
  clear(body);
  const columns = table.tHead?.rows[0]?.cells.length ?? 1;
  if (rows.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: String(columns), text: emptyText })]));
  for (const row of rows) body.appendChild(row);
}
