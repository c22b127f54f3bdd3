import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Media tests share 2 cores with real ffmpeg children: run files one at a time, with room to breathe.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ["{src,mixer,protocol,client,test}/**/*.test.ts"],
    setupFiles: ["test/setup/quietLogs.ts", "test/setup/noChildrenLeft.ts"],
    // Servers started inside tests log warnings and errors only, so a failure's cause is not buried in
    // join/leave lines; quietLogs.ts prints a test's lines only if it fails (TEST_LOGS=1: all, live). Tests
    // that read the info lines (shutdown) set LOG_LEVEL for their own child.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
  },
});
