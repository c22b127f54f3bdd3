import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** The file's SHA-256 (hex), read as a stream: a long recording is never in memory whole. */
export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
