/**
 * The compositor's cost on its own, in CPU time: 6 VGA-ish tiles (3x2 at 1280x720) composed `frames`
 * times, into a fresh canvas per frame or into one reused canvas, with the GC's share included.
 * Usage: node --import tsx bench/composeCost.ts [frames=900]
 */
import { gridLayout } from "../mixer/layout/gridLayout.js";
import { composeFrame } from "../mixer/video/compositor.js";
import { createI420 } from "../mixer/video/i420.js";

const canvas = { width: 1280, height: 720 };
const frames = Number(process.argv[2] ?? 900);
const rects = gridLayout(6, canvas);
const pictures = rects.map((r, i) => createI420(r.width, r.height, { y: 40 + i * 30, u: 128, v: 128 }));
const tiles = rects.map((rect, i) => ({ rect, name: `Sender ${i + 1}`, frame: pictures[i] }));

async function run(reuse: boolean): Promise<number> {
  const into = reuse ? createI420(canvas.width, canvas.height) : undefined;
  const c0 = process.cpuUsage();
  for (let i = 0; i < frames; i++) {
    composeFrame(canvas, tiles, into);
    // As the 30 fps clock does: the event loop (and so the GC's idle work) turns between frames.
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / frames;
}

for (let round = 0; round < 3; round++) {
  const fresh = await run(false);
  const reused = await run(true);
  console.log(`round ${round + 1}: fresh canvas ${fresh.toFixed(3)} ms/frame, reused canvas ${reused.toFixed(3)} ms/frame of CPU`);
}
