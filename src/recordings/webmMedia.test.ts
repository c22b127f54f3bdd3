import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { element, UNKNOWN_SIZE, uintElement, voidElement } from "../../mixer/recording/ebml.js";
import { WebmWriter } from "../../mixer/recording/webmWriter.js";
import { fileHasMedia, fileHasMediaSync, hasMedia, MEDIA_PROBE_BYTES } from "./webmMedia.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-webm-media-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function written(fill: (w: WebmWriter) => void): Buffer {
  const path = join(dir, `${n++}.webm`);
  const writer = new WebmWriter(path, { width: 320, height: 240, audioChannels: 1 });
  fill(writer);
  return readFileSync(path);
}
const probe = (file: Buffer) => hasMedia(file.subarray(0, MEDIA_PROBE_BYTES), file.length);

describe("hasMedia", () => {
  const withBlocks = written((w) => {
    w.addVideo(0, Buffer.alloc(500, 1), true);
    w.addAudio(0, Buffer.alloc(40, 2));
    w.addVideo(1000, Buffer.alloc(500, 3), true);
    w.finish();
  });

  it("finds the first block of a file the mixer's writer made, finished or as a crash left it", () => {
    expect(probe(withBlocks)).toBe(true);
    const crashed = written((w) => {
      w.addVideo(0, Buffer.alloc(500, 1), true);
      w.addVideo(1000, Buffer.alloc(500, 3), true);
      // Writing the block at 1 s (released once the video is 500 ms ahead) flushes the first cluster.
      w.addVideo(2000, Buffer.alloc(500, 4), true);
      w.abandon();
    });
    expect(probe(crashed)).toBe(true);
  });

  it("finds none in a header-only file, a finished file with no frames, or one whose first block is cut short", () => {
    expect(probe(written((w) => w.abandon()))).toBe(false);
    expect(probe(written((w) => w.finish()))).toBe(false);
    const header = written((w) => w.abandon()).length;
    // Cut inside the first cluster: its header, its timecode, then part of the first block.
    for (const cut of [header + 2, header + 8, header + 20, header + 200])
      expect(probe(withBlocks.subarray(0, cut)), String(cut)).toBe(false);
  });

  it("finds none in what is not WebM: empty, text, a bare EBML header", () => {
    expect(probe(Buffer.alloc(0))).toBe(false);
    expect(probe(Buffer.from("not a recording at all"))).toBe(false);
    expect(probe(element(0x1a45dfa3, uintElement(0x4286, 1)))).toBe(false);
  });

  it("reads unknown-size Segments and Clusters", () => {
    const ebml = element(0x1a45dfa3, uintElement(0x4286, 1));
    const segment = (children: Buffer[]) => Buffer.concat([Buffer.from([0x18, 0x53, 0x80, 0x67]), UNKNOWN_SIZE, ...children]);
    const openCluster = (children: Buffer[]) => Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75]), UNKNOWN_SIZE, ...children]);
    const block = element(0xa3, Buffer.from([0x81, 0, 0, 0x80]), Buffer.alloc(10));
    expect(probe(Buffer.concat([ebml, segment([openCluster([uintElement(0xe7, 0), block])])]))).toBe(true);
    expect(probe(Buffer.concat([ebml, segment([openCluster([uintElement(0xe7, 0)]), element(0x1c53bb6b)])]))).toBe(false);
  });

  it("does not hide a file whose first block lies past the probe (not one this server writes)", () => {
    const ebml = element(0x1a45dfa3, uintElement(0x4286, 1));
    const big = voidElement(MEDIA_PROBE_BYTES + 100);
    const cluster = element(0x1f43b675, uintElement(0xe7, 0), element(0xa3, Buffer.from([0x81, 0, 0, 0x80]), Buffer.alloc(10)));
    const file = Buffer.concat([ebml, element(0x18538067, big, cluster)]);
    expect(probe(file)).toBe(true);
  });

  it("reads files the same way sync and async; the sync one throws for a file it cannot read", async () => {
    const good = join(dir, "good.webm");
    const stub = join(dir, "stub.webm");
    writeFileSync(good, withBlocks);
    writeFileSync(
      stub,
      written((w) => w.abandon()),
    );
    expect([await fileHasMedia(good), fileHasMediaSync(good)]).toEqual([true, true]);
    expect([await fileHasMedia(stub), fileHasMediaSync(stub)]).toEqual([false, false]);
    expect(await fileHasMedia(join(dir, "missing.webm"))).toBe(false);
    expect(() => fileHasMediaSync(join(dir, "missing.webm"))).toThrow(/ENOENT/);
  });
});
