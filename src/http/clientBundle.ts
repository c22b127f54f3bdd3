import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const CLIENT_DIR = fileURLToPath(new URL("../../client/", import.meta.url));

/** Bundles the browser client once at start-up, in memory: `npm start` needs no separate build step. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [`${CLIENT_DIR}main.ts`],
    bundle: true,
    format: "esm",
    target: "es2022",
    write: false,
    minify: false,
    sourcemap: "inline",
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}
