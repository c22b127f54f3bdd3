import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyHunks, parsePatch } from "../../scripts/patchDependencies.mjs";

const patch = `diff --git a/lib/a.js b/lib/a.js
index 1111111..2222222 100644
--- a/lib/a.js
+++ b/lib/a.js
@@ -2,3 +2,4 @@ header
 two
-three
+THREE
+three and a half
 four
diff --git a/lib/b.js b/lib/b.js
--- a/lib/b.js
+++ b/lib/b.js
@@ -1,2 +1,2 @@
-x
+y
 z
`;
const original = "one\ntwo\nthree\nfour\nfive\n";
const patched = "one\ntwo\nTHREE\nthree and a half\nfour\nfive\n";

describe("scripts/patchDependencies.mjs", () => {
  it("reads each file's hunks, and a file header ends the hunk before it", () => {
    const files = parsePatch(patch);
    expect(files.map((f) => f.path)).toEqual(["lib/a.js", "lib/b.js"]);
    expect(files[0].hunks[0].lines.map((l) => l.op + l.text)).toEqual([" two", "-three", "+THREE", "+three and a half", " four"]);
    expect(files[1].hunks[0].lines.map((l) => l.op + l.text)).toEqual(["-x", "+y", " z"]);
  });

  it.each([
    ["applies to the original", original, false, patched],
    ["applies where the lines moved", "zero\n" + original, false, "zero\n" + patched],
    ["undoes it on the result (so a patched file is recognised)", patched, true, original],
    ["does not apply twice", patched, false, undefined],
    ["does not apply to other text", "one\ntwo\n3\nfour\n", false, undefined],
  ])("%s", (_what, text, reverse, expected) => {
    expect(applyHunks(text, parsePatch(patch)[0].hunks, reverse)).toBe(expected);
  });

  it("reads the werift patch the install applies: every hunk under lib/", () => {
    const files = parsePatch(readFileSync(new URL("../../patches/werift+0.24.4.patch", import.meta.url), "utf8"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(f.path.startsWith("lib/")).toBe(true);
      expect(f.hunks.length).toBeGreaterThan(0);
    }
  });
});
