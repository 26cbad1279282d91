// Durable Object per service holding its deny and allow lists for listing and auditing. The flag
// that is enforced lives in each number's own object (no extra round trip on the hot path); this
// index is written alongside it on the rare admin call and read only by list requests.
import { DurableObject } from "cloudflare:workers";
import type { NumberList } from "./phone-verification/phone-verification.ts";

export interface ListEntry {
  list: NumberList;
  phoneNumber: string;
  note: string;
  createdAt: number;
  /** Why the number was deny-listed from delivery reports (unsubscribed, deactivated, undeliverable); "" for an operator's entry. */
  reason?: string;
}

export class NumberLists extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      list TEXT NOT NULL, phone_number TEXT NOT NULL, note TEXT NOT NULL, created_at INTEGER NOT NULL,
      PRIMARY KEY (list, phone_number))`);
    // Entries written before deliverability memory have no reason column.
    const columns = this.#sql.exec("SELECT name FROM pragma_table_info('entries')").toArray().map((r) => r.name);
    if (!columns.includes("reason")) this.#sql.exec("ALTER TABLE entries ADD COLUMN reason TEXT NOT NULL DEFAULT ''");
  }

  async add(entry: ListEntry): Promise<ListEntry> {
    this.#sql.exec(
      "INSERT INTO entries (list, phone_number, note, created_at, reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT (list, phone_number) DO UPDATE SET note = excluded.note, reason = excluded.reason",
      entry.list,
      entry.phoneNumber,
      entry.note,
      entry.createdAt,
      entry.reason ?? "",
    );
    const row = this.#sql.exec("SELECT * FROM entries WHERE list = ? AND phone_number = ?", entry.list, entry.phoneNumber).one();
    return toEntry(row);
  }

  async remove(input: { list: NumberList; phoneNumber: string }): Promise<boolean> {
    return this.#sql.exec("DELETE FROM entries WHERE list = ? AND phone_number = ?", input.list, input.phoneNumber).rowsWritten > 0;
  }

  /** Entries ordered by number; `after` is the last number of the previous page. */
  async list(input: { list: NumberList; limit: number; after: string }): Promise<ListEntry[]> {
    return this.#sql
      .exec("SELECT * FROM entries WHERE list = ? AND phone_number > ? ORDER BY phone_number LIMIT ?", input.list, input.after, input.limit)
      .toArray()
      .map(toEntry);
  }

  /** Privacy erasure: the number leaves every list. */
  async erase(phoneNumber: string): Promise<number> {
    return this.#sql.exec("DELETE FROM entries WHERE phone_number = ?", phoneNumber).rowsWritten;
  }
}

function toEntry(row: Record<string, SqlStorageValue>): ListEntry {
  return {
    list: row.list as NumberList,
    phoneNumber: row.phone_number as string,
    note: row.note as string,
    createdAt: row.created_at as number,
    reason: (row.reason as string | undefined) ?? "",
  };
}
