import { createCanvas } from "@napi-rs/canvas";

/** A grey picture: one byte of luma per pixel, row by row. */
export interface Luma {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function cropLuma(src: Luma, x: number, y: number, width: number, height: number): Luma {
  const data = new Uint8Array(width * height);
  for (let row = 0; row < height; row++)
    for (let col = 0; col < width; col++) data[row * width + col] = src.data[(y + row) * src.width + x + col];
  return { width, height, data };
}

/** Luma of RGB24 (what MixedStreamDecoder decodes to). */
export function rgbLuma(rgb: Buffer, width: number, height: number): Luma {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) data[i] = Math.round(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]);
  return { width, height, data };
}

/** The smallest box holding every pixel brighter than `threshold` (the white text on a dark box). */
export function inkBox(l: Luma, threshold = 128): { x: number; y: number; width: number; height: number } | undefined {
  let x0 = l.width,
    y0 = l.height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < l.height; y++)
    for (let x = 0; x < l.width; x++)
      if (l.data[y * l.width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * The text drawn white on black with the given CSS font by Skia directly, cropped to its ink: what a label
 * of that text must look like, made without the label renderer.
 */
export function referenceText(text: string, font: string): Luma {
  const canvas = createCanvas(Math.ceil(text.length * 200) + 40, 400);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#fff";
  ctx.font = font;
  ctx.fillText(text, 20, 200);
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const full: Luma = {
    width: canvas.width,
    height: canvas.height,
    data: Uint8Array.from({ length: canvas.width * canvas.height }, (_, i) => rgba[4 * i]),
  };
  const box = inkBox(full);
  if (!box) throw new Error(`"${text}" draws nothing in ${font}`);
  return cropLuma(full, box.x, box.y, box.width, box.height);
}

/**
 * How alike the ink of `region` is to `reference` (normalised cross-correlation, 1 = the same picture,
 * about 0 = unrelated), trying shifts of up to `slack` px. A region whose ink differs in size from the
 * reference's by more than `slack` (three "?" for "김민수") scores 0.
 */
export function inkSimilarity(region: Luma, reference: Luma, slack = 2): number {
  const box = inkBox(region);
  if (!box) return 0;
  if (Math.abs(box.width - reference.width) > slack || Math.abs(box.height - reference.height) > slack) return 0;
  let best = -1;
  for (let dy = -slack; dy <= slack; dy++)
    for (let dx = -slack; dx <= slack; dx++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let y = 0; y < reference.height; y++)
        for (let x = 0; x < reference.width; x++) {
          const rx = box.x + x + dx,
            ry = box.y + y + dy;
          a.push(rx >= 0 && ry >= 0 && rx < region.width && ry < region.height ? region.data[ry * region.width + rx] : 0);
          b.push(reference.data[y * reference.width + x]);
        }
      best = Math.max(best, ncc(a, b));
    }
  return best;
}

function ncc(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}
