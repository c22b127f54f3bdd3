// Real Chromium for the browser e2e tests (the launcher itself is ./chromiumPool.ts, shared with bench/),
// and describe() for suites that need it.

import { describe, it } from "vitest";
import { CHROMIUM, HAVE_CHROMIUM } from "./chromiumPool.js";

export * from "./chromiumPool.js";

const IN_CI = process.env.CI === "true";
const MISSING_CHROMIUM = `${CHROMIUM} not found: install Debian's browser with "apt-get install -y chromium" to run the browser e2e tests`;

/** describe() that needs Chromium: skipped with a warning without it, failing in CI. */
export function describeWithChromium(name: string, suite: () => void): void {
  if (HAVE_CHROMIUM) {
    describe(name, suite);
  } else if (IN_CI) {
    describe(name, () => {
      it("requires Chromium", () => {
        throw new Error(`CI=true and ${MISSING_CHROMIUM}`);
      });
    });
  } else {
    console.warn(`skipping browser e2e: ${MISSING_CHROMIUM}`);
    describe.skip(`${name} (skipped: ${MISSING_CHROMIUM})`, suite);
  }
}
