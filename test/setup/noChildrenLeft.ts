import { afterAll, expect } from "vitest";
import { liveChildren } from "../../soak/procProbe.js";

// Media tools a test may start (directly or through a server it runs in-process). esbuild's service process
// is left out: it is shared by the whole test run and is not ours to end.
const MEDIA_TOOLS = /^(ffmpeg|chrom(e|ium)|turnserver|redis-server)/;

const mediaChildren = () => liveChildren(process.pid).filter((c) => MEDIA_TOOLS.test(c.comm));

// Every test file leaves nothing running: checked against the OS after the file's own cleanup.
afterAll(async () => {
  const deadline = Date.now() + 5000;
  while (mediaChildren().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(mediaChildren(), "child processes left running by this test file").toEqual([]);
});
