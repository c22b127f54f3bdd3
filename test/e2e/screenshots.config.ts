// `npx vitest run --config test/e2e/screenshots.config.ts [scene…]`: writes docs/images/client-*.png (docs/client.md).
// Not part of `npm test`: it proves nothing by itself; the pictures are for people to look at.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/screenshots.shots.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: "warn" },
  },
});
