import { afterAll, expect } from "vitest";
import { childProcesses } from "../helpers/childProcesses.js";

// Media tools a test may start (directly or through a server it runs in-process). esbuild's service process
// is left out: it is shared by the whole test run and is not ours to end.
const MEDIA_TOOLS = /^(ffmpeg|chrom(e|ium)|turnserver|redis-server)/;

// Every test file leaves nothing running: checked against the OS after the file's own cleanup.
afterAll(async () => {
  const deadline = Date.now() + 5000;
  let left = childProcesses().filter((c) => MEDIA_TOOLS.test(c.command));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = childProcesses().filter((c) => MEDIA_TOOLS.test(c.command));
  }
  expect(left, "child processes left running by this test file").toEqual([]);
});
