// Real Chromium for the browser e2e tests (the launcher itself is ./chromiumPool.ts, shared with bench/),
// and describe() for suites that need it.

import { existsSync } from "node:fs";
import { describeRequiring } from "./browserRequirement.js";
import { CHROMIUM } from "./chromiumPool.js";

export * from "./chromiumPool.js";

const MISSING_CHROMIUM = `${CHROMIUM} not found: install Debian's browser with "apt-get install -y chromium" to run the browser e2e tests`;

/** describe() that needs Chromium: skipped with a warning without it, failing in CI. */
export function describeWithChromium(name: string, suite: () => void): void {
  describeRequiring(name, existsSync(CHROMIUM), MISSING_CHROMIUM, suite);
}
