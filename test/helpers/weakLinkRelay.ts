// The impairing half of a weak link (test/helpers/weakLink.ts), run inside the test's network namespace with
// `ip netns exec`. This kernel has no netem, so delay and random loss come from here: every UDP datagram to and
// from the server's ICE ports waits `delayMs` and is dropped with probability `loss`, each way. TCP (the page
// and its WebSocket) is forwarded as is; tbf on the veth pair limits the rate of both.
//
// argv: JSON { host: the far end of the veth pair (the test's own address), ports: [first, last] of the
// server's ICE ports, tcpPorts: [port...], delayMs, loss }. stdin: one JSON line { delayMs, loss } changes the
// impairment; stdin closing (the test process gone) ends the relay.
import { createSocket, type Socket } from "node:dgram";
import { createConnection, createServer } from "node:net";

interface Impairment {
  delayMs: number;
  loss: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as Impairment & { host: string; ports: [number, number]; tcpPorts: number[] };
const impairment: Impairment = { delayMs: config.delayMs, loss: config.loss };
const sockets: Socket[] = [];
/** Datagrams in flight are bounded: a relay that fell behind drops rather than grows without end. */
const MAX_IN_FLIGHT = 5000;
let inFlight = 0;
let toBind = config.ports[1] - config.ports[0] + 1 + config.tcpPorts.length;
function bound(): void {
  if (--toBind === 0) process.stdout.write("ready\n");
}

function impaired(send: () => void): void {
  if (Math.random() < impairment.loss || inFlight >= MAX_IN_FLIGHT) return;
  if (impairment.delayMs <= 0) return send();
  inFlight++;
  setTimeout(() => {
    inFlight--;
    send();
  }, impairment.delayMs);
}

for (let port = config.ports[0]; port <= config.ports[1]; port++) {
  // The browser sends to 127.0.0.1:port (the server's candidate); each of its source addresses gets a socket of
  // its own toward the server's side, so replies find their way back.
  const front = createSocket("udp4");
  sockets.push(front);
  const upstream = new Map<string, Socket>();
  front.on("message", (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let up = upstream.get(key);
    if (!up) {
      if (upstream.size >= 64) return;
      const created = createSocket("udp4");
      sockets.push(created);
      created.on("message", (reply) => impaired(() => front.send(reply, from.port, from.address)));
      created.on("error", () => undefined);
      created.bind(0, "0.0.0.0");
      upstream.set(key, created);
      up = created;
    }
    const socket = up;
    impaired(() => socket.send(msg, port, config.host));
  });
  front.on("error", (err) => {
    process.stderr.write(`relay: port ${port}: ${err.message}\n`);
    process.exit(2);
  });
  front.bind(port, "127.0.0.1", () => bound());
}

for (const port of config.tcpPorts) {
  const listener = createServer((client) => {
    const server = createConnection({ host: config.host, port });
    client.pipe(server).pipe(client);
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
  });
  listener.on("error", (err) => {
    process.stderr.write(`relay: tcp ${port}: ${err.message}\n`);
    process.exit(2);
  });
  listener.listen(port, "127.0.0.1", () => bound());
}

let input = "";
process.stdin.on("data", (chunk: Buffer) => {
  input += chunk.toString();
  for (let nl = input.indexOf("\n"); nl >= 0; nl = input.indexOf("\n")) {
    const line = input.slice(0, nl);
    input = input.slice(nl + 1);
    const next = JSON.parse(line) as Partial<Impairment>;
    if (typeof next.delayMs === "number") impairment.delayMs = next.delayMs;
    if (typeof next.loss === "number") impairment.loss = next.loss;
  }
});
process.stdin.on("close", () => process.exit(0));
