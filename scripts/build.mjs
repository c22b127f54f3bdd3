// `npm run build`: everything `npm start` runs, into dist/.
//   dist/main.js          the server (src/main.ts and everything it imports, bundled with its dependencies)
//   dist/mediaWorker.js   a media worker (src/workers/workerMain.ts), which the server forks (MEDIA_WORKERS)
//   dist/client/          the browser app: client.js (client/main.ts bundled), index.html, style.css
//   dist/.build-stamp     written last; scripts/start.mjs rebuilds when a source is newer than it
// Plain JavaScript, so that building needs esbuild only (no tsx), and typechecked through tsconfig's checkJs.
import { build, stop } from "esbuild";
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST_DIR, ROOT, STAMP } from "./freshness.mjs";

/**
 * Packages left to Node to load from node_modules at run time rather than bundled:
 * - @discordjs/opus: a native addon (.node), located by its own loader relative to its package.
 * - node-av: the same (FFmpeg's libraries in a per-platform package it requires by name).
 * - @ffmpeg-installer/ffmpeg: finds its binary from `__dirname` and a platform package it requires by name.
 * - pino (and thread-stream under it): transports run in worker threads loaded from files beside pino
 *   (`__dirname`, which ESM output lacks). We log through pino.destination and pino-pretty as a stream, in
 *   process, so nothing starts a worker today; kept external so adding a transport does not break the build.
 * - pino-pretty: we use it in process, which would bundle, but it is also pino's usual transport target,
 *   which pino's worker loads by name from node_modules; kept there beside pino for the same reason.
 * - @napi-rs/canvas: Skia, a native addon in a platform package (@napi-rs/canvas-linux-x64-gnu, ...) its
 *   loader requires by name.
 * - esbuild: only the from-sources path (src/http/clientBundle.ts) loads it; a built server never does.
 * - @redis/client: only a cluster node (REDIS_URL) imports it, dynamically (src/cluster/createCluster.ts);
 *   left in node_modules, a single node does not even parse it.
 * - @aws-sdk/*: only a server with RECORDINGS_S3_BUCKET imports the S3 client, dynamically (src/recordings/upload/s3Storage.ts);
 *   left in node_modules like @redis/client, a server without a bucket does not parse it.
 * Everything else (werift, express, ws, zod, prom-client) is bundled: one file to parse instead of hundreds
 * to resolve and read saves about a third of a second more (docs/decisions.md, "A build step").
 */
export const SERVER_EXTERNAL = [
  "@discordjs/opus",
  "@napi-rs/canvas",
  "node-av",
  "@ffmpeg-installer/ffmpeg",
  "pino",
  "pino-pretty",
  "thread-stream",
  "esbuild",
  "@redis/client",
  "@aws-sdk/client-s3",
  "@aws-sdk/lib-storage",
  "@aws-sdk/s3-request-presigner",
];

/** What src/http/app.ts serves from client/ as it is, beside the bundle. */
export const CLIENT_FILES = ["index.html", "style.css", "404.html", "favicon.svg"];

/** The browser bundle. The same options serve the from-sources path, which bundles in memory. */
/** @returns {import("esbuild").BuildOptions & { entryPoints: string[] }} */
export function clientBuildOptions() {
  return {
    entryPoints: [join(ROOT, "client", "main.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: false,
    // Inline, so /client.js is the one file the page loads and the browser's devtools still show the sources.
    sourcemap: "inline",
    logLevel: "silent",
  };
}

/** Builds dist/ from scratch. Returns the output directory. */
export async function buildAll() {
  // The stamp gets the time the build began: a source saved while it ran is newer and rebuilds next start.
  const began = new Date();
  rmSync(DIST_DIR, { recursive: true, force: true });
  mkdirSync(join(DIST_DIR, "client"), { recursive: true });
  try {
    const server = (/** @type {string} */ entry, /** @type {string} */ outfile) =>
      build({
        entryPoints: [join(ROOT, "src", entry)],
        outfile: join(DIST_DIR, outfile),
        bundle: true,
        platform: "node",
        format: "esm",
        // The dev machines run Node 20, the image Node 22: the bundle must run on both.
        target: "node20",
        external: SERVER_EXTERNAL,
        // Bundled CommonJS (werift, express) calls require() for Node's built-ins; ESM output has no require.
        banner: {
          js: "import { createRequire as __tesseraCreateRequire } from 'node:module'; const require = __tesseraCreateRequire(import.meta.url);",
        },
        // Tells src/http/clientBundle.ts to serve dist/client/ instead of bundling client/ at start.
        define: { TESSERA_BUILT: "true" },
        // Stack traces in the logs name src/ files and lines: the server runs with --enable-source-maps.
        sourcemap: "linked",
        sourcesContent: false,
        legalComments: "linked",
        logLevel: "warning",
      });
    await Promise.all([
      server("main.ts", "main.js"),
      server(join("workers", "workerMain.ts"), "mediaWorker.js"),
      build({ ...clientBuildOptions(), outfile: join(DIST_DIR, "client", "client.js"), logLevel: "warning" }),
    ]);
  } finally {
    // esbuild keeps a service process for the next call; nothing else is built in this process.
    await stop();
  }
  for (const file of CLIENT_FILES) copyFileSync(join(ROOT, "client", file), join(DIST_DIR, "client", file));
  writeFileSync(STAMP, `built ${began.toISOString()}; scripts/start.mjs rebuilds when src/, mixer/, client/ or package*.json are newer\n`);
  utimesSync(STAMP, began, began);
  return DIST_DIR;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  await buildAll();
  console.log(`built ${DIST_DIR} in ${Math.round(performance.now() - started)} ms`);
}
