import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * Set to `true` by scripts/build.mjs (esbuild `define`) in dist/main.js, and undefined when the server runs
 * from sources (tests start it in-process through tsx/vitest; bench and some tests run src/main.ts).
 */
declare const TESSERA_BUILT: boolean | undefined;

export interface ClientAssets {
  /** Where index.html and style.css are served from. */
  readonly dir: string;
  /** /client.js: the bundled browser app, with its source map inline. */
  readonly script: string;
}

/**
 * The browser app. A built server serves what `npm run build` wrote beside it in dist/client/ (read once;
 * nothing is bundled at start and esbuild is not needed at run time). From sources, client/ is bundled in
 * memory with the same options, so tests need no build and always serve the client as it is now.
 */
export async function loadClient(): Promise<ClientAssets> {
  // An if/else on the defined constant: esbuild leaves out the dead branch's imports, so dist/main.js imports
  // neither esbuild nor the build script and needs neither at run time.
  if (typeof TESSERA_BUILT !== "undefined" && TESSERA_BUILT) {
    const dir = fileURLToPath(new URL("./client/", import.meta.url));
    return { dir, script: await readFile(`${dir}client.js`, "utf8") };
  } else {
    const [{ build }, { clientBuildOptions }] = await Promise.all([import("esbuild"), import("../../scripts/build.mjs")]);
    const result = await build({ ...clientBuildOptions(), write: false });
    return { dir: fileURLToPath(new URL("../../client/", import.meta.url)), script: result.outputFiles[0].text };
  }
}
