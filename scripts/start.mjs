// `npm start`: runs the built server (dist/main.js), building it first when dist/ is missing or older than
// its sources. The server is imported into this same process rather than spawned, so SIGTERM and SIGINT
// reach it directly and its exit code is the process's: nothing in between to forward signals or reap.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST_DIR, staleReason } from "./freshness.mjs";

const reason = staleReason();
if (reason) {
  note("info", "building dist/", { reason });
  /** @type {typeof import("./build.mjs")} */
  let build;
  try {
    build = await import("./build.mjs");
  } catch (err) {
    // A production install (npm ci --omit=dev) has no esbuild: it must ship a built dist/.
    if (/** @type {{ code?: string }} */ (err).code !== "ERR_MODULE_NOT_FOUND") throw err;
    note("error", "cannot build dist/: esbuild is not installed (run `npm ci && npm run build`)", { error: String(err) });
    process.exit(1);
  }
  await build.buildAll();
}

// The bundle's stack traces then name src/ and mixer/ files and lines (dist/main.js.map).
process.setSourceMapsEnabled(true);
await import(pathToFileURL(join(DIST_DIR, "main.js")).href);

/**
 * One line on stderr in the server's log format: JSON when stderr is not a terminal (a log shipper reads
 * it), plain text when it is.
 * @param {"info" | "error"} level @param {string} msg @param {Record<string, string>} fields
 */
function note(level, msg, fields) {
  const line = process.stderr.isTTY
    ? `${msg} (${Object.values(fields).join("; ")})`
    : JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields });
  process.stderr.write(`${line}\n`);
}
