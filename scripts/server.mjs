#!/usr/bin/env node
// The production server `npm start` runs: Next's own request handler behind a
// plain http.Server (Next's documented custom-server pattern). It exists for
// one reason: a route handler cannot see the socket, and `next start` only
// fills X-Forwarded-For from the socket when the client did not send one, so
// the client would choose the address that sign-in throttling charges.
// Here every request carries the socket's peer address in a header of our own,
// and whatever a client sent under that name is replaced.
import http from "node:http";
import path from "node:path";
import next from "next";

// Keep equal to `peerAddressHeader` in lib/auth/client-address.ts.
const peerAddressHeader = "x-liftoff-peer-address";

const root = path.resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT || 3000);
const hostname = process.env.HOST || "127.0.0.1";

const app = next({ dev: false, dir: root, hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  // Node lower-cases header names, so this one assignment replaces any
  // client-sent value, whatever its spelling.
  req.headers[peerAddressHeader] = req.socket.remoteAddress ?? "";
  void handle(req, res);
});
server.listen(port, hostname, () => {
  console.log(`Liftoff ready on http://${hostname}:${port}`);
});
