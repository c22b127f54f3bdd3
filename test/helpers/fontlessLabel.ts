// Run as a child (node --import tsx) where no font is installed (the test hides /usr/share/fonts in a
// mount namespace of its own): resolves the label font as the server does at start-up and draws a label
// for each name in its arguments, then prints what it found and the labels' luma as one JSON line.

import { GlobalFonts } from "@napi-rs/canvas";
import { resolveLabelFont } from "../../mixer/video/labelFont.js";
import { LabelRenderer } from "../../mixer/video/labelRenderer.js";

const fontsBefore = GlobalFonts.families.map((f) => f.family);
const font = resolveLabelFont(process.env.LABEL_FONT);
const renderer = new LabelRenderer({ outputHeight: 720, font });
const labels = process.argv.slice(2).map((name) => {
  const label = renderer.tileLabel(name, false, 1200);
  if (!label) throw new Error(`no label for ${name}`);
  return {
    name,
    width: label.width,
    height: label.height,
    luma: Buffer.from(label.data.subarray(0, label.width * label.height)).toString("base64"),
  };
});
process.stdout.write(`${JSON.stringify({ fontsBefore, families: font.families, css: renderer.cssFont(), labels })}\n`);
