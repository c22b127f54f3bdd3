/**
 * N headless werift senders (the bench's: a pre-encoded barcode clip and an Opus tone) joined to one room,
 * kept until stdin closes or SIGTERM. Run as a child under `nice` by the browser benchmarks, so that the load
 * they generate is apart from, and yields to, the browser being measured.
 *
 *   node --import tsx bench/loadSenders.ts <server url> <room> <n> <mcu|sfu>
 *
 * Prints "ready" on stdout once every sender has joined.
 */
import { barcodeClip } from "./barcodeClip.js";
import { TestClient } from "../test/helpers/testClient.js";

async function main(): Promise<void> {
  const [url, room, count, mode] = process.argv.slice(2);
  const n = Number(count);
  if (!url || !room || !Number.isInteger(n) || n < 1 || n > 12 || (mode !== "mcu" && mode !== "sfu")) {
    throw new Error("usage: loadSenders.ts <server url> <room> <n 1-12> <mcu|sfu>");
  }
  const clients: TestClient[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(clients.map((c) => c.close()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.stdin.on("end", () => void stop());
  process.stdin.resume();
  for (let i = 0; i < n; i++) {
    // On a starved machine a connection can time out: each sender gets three tries.
    for (let attempt = 1; ; attempt++) {
      const client = new TestClient({
        url,
        room,
        name: `S${i + 1}`,
        clip: barcodeClip(i, "vp8"),
        toneHz: 300 + 100 * i,
        decode: false,
        mode,
      });
      try {
        await client.connect();
        clients.push(client);
        break;
      } catch (err) {
        await client.close().catch(() => undefined);
        if (attempt === 3) throw err;
      }
    }
  }
  console.log("ready");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
