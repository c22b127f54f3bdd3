import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import type { Logger, LogFields } from "./log.js";
import { ProcessFaults, type FaultVerdict } from "./processFaults.js";

function recordingLogger(): Logger & { lines: { msg: string; fields?: LogFields }[] } {
  const lines: { msg: string; fields?: LogFields }[] = [];
  const push = (msg: string, fields?: LogFields) => void lines.push({ msg, fields });
  return { lines, debug: push, info: push, warn: push, error: push, child: () => recordingLogger() } as unknown as Logger & {
    lines: typeof lines;
  };
}

describe("ProcessFaults", () => {
  it.each<[string, boolean, unknown, FaultVerdict, RegExp]>([
    ["an Error while serving", true, new TypeError("Invalid URL"), "carry-on", /survived/],
    ["an Error during start-up", false, new Error("bad"), "exit", /during start-up/],
    ["a string while serving", true, "oops", "exit", /non-Error/],
    ["undefined while serving", true, undefined, "exit", /non-Error/],
    [
      "an object whose JSON throws",
      true,
      {
        toJSON: () => {
          throw new Error("no");
        },
      },
      "exit",
      /non-Error/,
    ],
  ])("%s: %s", (_what, serving, thrown, verdict, logged) => {
    const log = recordingLogger();
    const faults = new ProcessFaults(log);
    if (serving) faults.started();
    expect(faults.exception(thrown)).toBe(verdict);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0].msg).toMatch(logged);
    expect(String(log.lines[0].fields?.error)).not.toBe("");
  });

  it("counts exceptions and rejections on the registry it is given, and never ends the process for a rejection", async () => {
    const faults = new ProcessFaults(recordingLogger());
    const registry = new Registry();
    faults.register(registry);
    faults.started();
    faults.exception(new Error("a"));
    faults.rejection("b");
    faults.rejection(new Error("c"));
    const text = await registry.metrics();
    expect(text).toContain('tessera_uncaught_errors_total{kind="exception"} 1');
    expect(text).toContain('tessera_uncaught_errors_total{kind="rejection"} 2');
  });
});
