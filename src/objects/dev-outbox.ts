// Development-only Durable Object: the console SMS provider's "phone". One object ("outbox") keeps
// the last OUTBOX_SIZE messages, code in clear, so the playground can show them. It refuses to
// store or list anything unless ENVIRONMENT=development: a code must never rest in production.
import { DurableObject } from "cloudflare:workers";

/** Messages kept; older ones are deleted on every write. */
export const OUTBOX_SIZE = 50;
/** The one object's name. */
export const OUTBOX_NAME = "outbox";

export interface OutboxInput {
  messageId: string;
  /** E.164 destination. */
  to: string;
  body: string;
}

export interface OutboxMessage extends OutboxInput {
  /** Increasing sequence number: the newest message has the highest. */
  seq: number;
  /** Epoch ms. */
  createdAt: number;
}

export class DevOutbox extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
  }

  #ensureSchema(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      message_id TEXT NOT NULL,
      to_e164 TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
  }

  /** Stores one message and drops all but the newest OUTBOX_SIZE. */
  async add(message: OutboxInput): Promise<void> {
    this.#refuseOutsideDevelopment();
    this.#ensureSchema();
    this.#sql.exec(
      "INSERT INTO messages (message_id, to_e164, body, created_at) VALUES (?, ?, ?, ?)",
      message.messageId,
      message.to,
      message.body,
      Date.now(),
    );
    this.#sql.exec("DELETE FROM messages WHERE seq <= (SELECT MAX(seq) FROM messages) - ?", OUTBOX_SIZE);
  }

  /** Newest first; with `afterSeq`, only messages newer than it. */
  async list(options: { afterSeq?: number } = {}): Promise<OutboxMessage[]> {
    this.#refuseOutsideDevelopment();
    this.#ensureSchema();
    const rows = this.#sql
      .exec<{ seq: number; message_id: string; to_e164: string; body: string; created_at: number }>(
        "SELECT seq, message_id, to_e164, body, created_at FROM messages WHERE seq > ? ORDER BY seq DESC LIMIT ?",
        options.afterSeq ?? 0,
        OUTBOX_SIZE,
      )
      .toArray();
    return rows.map((row) => ({ seq: row.seq, messageId: row.message_id, to: row.to_e164, body: row.body, createdAt: row.created_at }));
  }

  #refuseOutsideDevelopment(): void {
    if (this.env.ENVIRONMENT !== "development") throw new Error("the dev outbox exists only when ENVIRONMENT=development");
  }
}

/** The outbox stub, for the console sender and the outbox route. */
export function devOutbox(env: Env): DurableObjectStub<DevOutbox> {
  const namespace = env.DEV_OUTBOX as unknown as DurableObjectNamespace<DevOutbox>;
  return namespace.get(namespace.idFromName(OUTBOX_NAME));
}
