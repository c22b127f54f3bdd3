import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The docs name files and code in backticks; a rename that forgets the docs leaves a reader looking for
 * something that is not there. Every backticked path in README.md and docs/*.md must exist, and a
 * `Class.member` must name a class that has that member.
 */

const root = join(import.meta.dirname, "../..");
const docs = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const tracked = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).trim().split("\n");
const trackedNames = new Set(tracked.map((f) => basename(f)));

/** The project's top-level folders: a backticked path starting with one of these is ours. */
const TOP_FOLDERS = new Set(["src", "mixer", "client", "protocol", "test", "bench", "soak", "scripts", "docs", ".ci", "patches", "dist"]);
/** What the build and the benchmark write (gitignored): named in the docs, present only after a run. */
const OUTPUTS = [/^dist\//, /^bench\/results\/?/, /^client\.js$/, /^latest\.json$/];
const FILE_NAME = /^[\w-][\w.-]*\.(ts|mjs|js|json|md|css|html|sh|c)$/;
const PATH = /^(\.\/)?[\w.@-]+(\/[\w.@-]*)+$/;

/** A backticked path that does not exist, or undefined. */
function missingPath(quoted: string): string | undefined {
  if (OUTPUTS.some((re) => re.test(quoted))) return undefined;
  if (FILE_NAME.test(quoted)) return trackedNames.has(quoted) ? undefined : quoted;
  if (!PATH.test(quoted)) return undefined;
  const path = quoted.replace(/^\.\//, "");
  if (!TOP_FOLDERS.has(path.split("/")[0])) return undefined;
  return existsSync(join(root, path)) ? undefined : quoted;
}

const sources = new Map(
  tracked.filter((f) => /\.(ts|mjs)$/.test(f) && !f.startsWith("test/fakes/")).map((f) => [f, readFileSync(join(root, f), "utf8")]),
);
/** Exported declarations: name to the files that declare it. */
const declared = new Map<string, string[]>();
for (const [file, text] of sources) {
  const re = /export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let|enum)\s+([A-Za-z_$][\w$]*)/g;
  for (const [, name] of text.matchAll(re)) declared.set(name, [...(declared.get(name) ?? []), file]);
}
/** Classes werift declares: the docs name its internals (`RTCRtpSender.handleRtcpPacket`). */
const weriftClasses = new Set<string>();
const weriftLib = join(root, "node_modules/werift/lib");
for (const file of readdirSync(weriftLib, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".d.ts")) continue;
  for (const [, name] of readFileSync(join(weriftLib, file), "utf8").matchAll(/class\s+(\w+)/g)) weriftClasses.add(name);
}

/** What is wrong with a backticked `Owner.member`, or undefined. */
function wrongMember(owner: string, member: string): string | undefined {
  const word = new RegExp(`\\b${member}\\b`);
  const files = declared.get(owner);
  if (files) return files.some((f) => word.test(sources.get(f)!)) ? undefined : `${owner}.${member}: ${owner} has no ${member}`;
  if (weriftClasses.has(owner)) return undefined;
  // Not a class of ours: wrong only if the member is ours, i.e. the docs name the wrong owner.
  const method = new RegExp(`^\\s*(?:(?:private|public|protected|readonly|static|async|get|set|override)\\s+)*${member}\\s*[(<]`, "m");
  const owners = [...sources].filter(([, text]) => method.test(text)).map(([f]) => f);
  return owners.length > 0 ? `${owner}.${member}: no ${owner} here; ${member} is in ${owners.join(", ")}` : undefined;
}

describe("docs name what exists", () => {
  it.each(docs)("%s", (doc) => {
    const text = readFileSync(join(root, doc), "utf8");
    const problems: string[] = [];
    for (const [, quoted] of text.matchAll(/`([^`\n]+)`/g)) {
      const path = missingPath(quoted);
      if (path) problems.push(`no such file: ${path}`);
      const member = /^([A-Z][A-Za-z0-9]+)\.([a-z_][A-Za-z0-9_]*)(\(\))?$/.exec(quoted);
      const wrong = member && wrongMember(member[1], member[2]);
      if (wrong) problems.push(wrong);
    }
    expect(problems).toEqual([]);
  });

  it("catches a missing file and a member named on the wrong class", () => {
    expect(missingPath("src/rooms/noSuchFile.ts")).toBe("src/rooms/noSuchFile.ts");
    expect(missingPath("noSuchFile.ts")).toBe("noSuchFile.ts");
    expect(missingPath("src/rooms/mcuRoom.ts")).toBeUndefined();
    expect(missingPath("/api/rooms")).toBeUndefined();
    expect(wrongMember("SfuPeer", "labelForwardedVideo")).toBeUndefined();
    expect(wrongMember("PeerSession", "labelForwardedVideo")).toMatch(/sfuPeer\.ts/);
    expect(wrongMember("McuRoom", "noSuchMethod")).toMatch(/no noSuchMethod/);
  });
});
