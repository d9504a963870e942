// The Node.js baseline: a minimal `ws` server relaying each text frame to its room.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] || 8080);
const rooms = new Map();
const server = createServer((req, res) => { res.writeHead(200); res.end("ok"); });
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on("connection", (ws, req) => {
  const room = new URL(req.url, "http://x").searchParams.get("room") || "default";
  if (!rooms.has(room)) rooms.set(room, new Set());
  const members = rooms.get(room);
  members.add(ws);
  ws.on("message", (data, isBinary) => {
    for (const other of members) {
      if (other !== ws && other.readyState === 1) other.send(data, { binary: isBinary });
    }
  });
  ws.on("close", () => members.delete(ws));
});
server.listen(port, "127.0.0.1");
