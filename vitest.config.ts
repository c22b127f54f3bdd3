import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Media tests share 2 cores with real ffmpeg children: run files one at a time, with room to breathe.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ["{src,mixer,client,test}/**/*.test.ts"],
  },
});
