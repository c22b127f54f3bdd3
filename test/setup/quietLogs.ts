import { afterAll, beforeEach } from "vitest";

/**
 * A quiet test run: what a test's in-process servers and helpers write to stderr (the servers' JSON log
 * lines, at LOG_LEVEL warn by default) is held back and printed only if that test fails, under a header
 * naming it. Lines written outside any test (a file's beforeAll and afterAll) are printed if a test of the
 * file failed. `TEST_LOGS=1 npm test` prints everything as it is written; LOG_LEVEL=info or debug makes the
 * servers say more (vitest.config.ts).
 */

/** Lines kept per test: the last ones, where a failure's cause usually is. */
const MAX_CHUNKS = 2000;

type Write = typeof process.stderr.write;

if (process.env.TEST_LOGS !== "1") {
  const write: Write = process.stderr.write.bind(process.stderr);
  let held: string[] = [];
  const outsideTests: string[] = [];
  let fileFailed = false;

  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    held.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
    if (held.length > MAX_CHUNKS) held.splice(0, held.length - MAX_CHUNKS);
    const done = rest.find((r): r is (err?: Error | null) => void => typeof r === "function");
    done?.(null);
    return true;
  }) as Write;

  const print = (title: string, chunks: readonly string[]) => {
    if (chunks.join("").trim() !== "") write(`\n--- ${title} (stderr, held back; TEST_LOGS=1 prints it live)\n${chunks.join("")}--- end\n`);
  };

  beforeEach(({ task, onTestFailed, onTestFinished }) => {
    const mine: string[] = [];
    held = mine;
    onTestFailed(() => {
      fileFailed = true;
      print(`what "${task.name}" wrote`, mine);
    });
    onTestFinished(() => {
      if (held === mine) held = outsideTests;
    });
  });

  held = outsideTests;
  afterAll(() => {
    if (fileFailed) print("what this file's hooks wrote", outsideTests);
  });
}
