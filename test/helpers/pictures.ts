import { createCanvas } from "@napi-rs/canvas";
import type { I420Frame } from "../../mixer/video/i420.js";

/** RGB24 (what MixedStreamDecoder gives) as PNG bytes, for screenshots of the mix. */
export async function rgbToPng(rgb: Buffer, width: number, height: number): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    image.data[i * 4] = rgb[j];
    image.data[i * 4 + 1] = rgb[j + 1];
    image.data[i * 4 + 2] = rgb[j + 2];
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas.encode("png");
}

/** An I420 frame as RGB24 (BT.601 limited range, as ffmpeg decodes the mix). */
export function i420ToRgb(frame: I420Frame): Buffer {
  const { width, height, data } = frame;
  const out = Buffer.alloc(width * height * 3);
  const uPlane = width * height;
  const vPlane = uPlane + (width / 2) * (height / 2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = (y >> 1) * (width / 2) + (x >> 1);
      const Y = 1.164 * (data[y * width + x] - 16);
      const U = data[uPlane + c] - 128;
      const V = data[vPlane + c] - 128;
      const o = (y * width + x) * 3;
      out[o] = clamp(Y + 1.596 * V);
      out[o + 1] = clamp(Y - 0.392 * U - 0.813 * V);
      out[o + 2] = clamp(Y + 2.017 * U);
    }
  return out;
}

const clamp = (n: number) => (n < 0 ? 0 : n > 255 ? 255 : Math.round(n));
