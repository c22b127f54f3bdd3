// A browser suite's gate: run where the browser is installed; elsewhere skip with a message saying how to get
// it, except in CI (CI=true), where a missing browser fails: a skipped test is not a passing one.

import { describe, it } from "vitest";

export function describeRequiring(name: string, available: boolean, missing: string, suite: () => void): void {
  if (available) {
    describe(name, suite);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("requires its browser", () => {
        throw new Error(`CI=true and ${missing}`);
      });
    });
  } else {
    console.warn(`skipping browser e2e: ${missing}`);
    describe.skip(`${name} (skipped: ${missing})`, suite);
  }
}
