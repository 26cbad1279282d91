// A webhook receiver in plain Node (22+): `EDGE_VERIFY_WEBHOOK_PUBLIC_KEY=whpk_… node server.mjs`,
// then set the service's webhookUrl to this server (https in production) and webhookSigning to v1a.
import { createServer } from "node:http";
import { verifyWebhook } from "./verify-v1a.mjs";

const publicKeys = [process.env.EDGE_VERIFY_WEBHOOK_PUBLIC_KEY]; // the service's webhookPublicKey
const seen = new Set(); // webhook-ids already handled: delivery is at least once (use your database)

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString("utf8"); // the raw body: never re-serialise before verifying
  let event;
  try {
    event = await verifyWebhook({ body, headers: req.headers, publicKeys });
  } catch {
    return res.writeHead(401).end();
  }
  if (!seen.has(req.headers["webhook-id"])) {
    seen.add(req.headers["webhook-id"]);
    console.log(event.type, event.data.id, event.data.status);
  }
  res.writeHead(204).end();
}).listen(Number(process.env.PORT ?? 3000));
