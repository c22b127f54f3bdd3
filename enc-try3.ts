import { MixEncoder } from "./mixer/video/mixEncoder.js";
async function main() {
  const s = { width: 1280, height: 720, fps: 30, bitrate: 1_500_000 };
  const e = new MixEncoder("vp8", s);
  let n = 0;
  e.on("frame", () => n++);
  const canvas = Buffer.alloc(1280 * 720 * 1.5, 100);
  const mode = process.argv[2];
  for (let i = 0; i < 60; i++) {
    e.encode(canvas, i, i % 20 === 0);
    if (mode === "wait") while (e.backlog > 0) await new Promise((r) => setTimeout(r, 1));
    else await new Promise((r) => setTimeout(r, 5));
  }
  while (e.backlog > 0) await new Promise((r) => setTimeout(r, 1));
  console.log("frames", n);
  (globalThis as any).gc?.();
  await new Promise((r) => setTimeout(r, 300));
}
main();
