// In-page probes that work the same in Chromium (playwright-core) and Firefox (puppeteer-core): a camera of one
// known colour, the page's peer connections kept for getStats, the share of a video's pixels in a colour, and
// what each inbound RTP stream received. Each function passed to a page runs inside it, so it uses nothing from
// outside; waitForColour runs in the test and polls the page.

export type Rgb = readonly [number, number, number];

/** Both drivers' `page.evaluate(fn, arg)`. */
export type Evaluate = <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>;

export interface CameraOptions {
  /** The colour the whole picture is painted (a thin moving bar keeps the encoder sending frames). */
  readonly rgb: Rgb;
}

/**
 * An init script: getUserMedia's video is a canvas painted in `rgb` (the browser's own fake microphone stays,
 * Firefox's sine or Chromium's beep: Firefox's AudioContext is suspended on a machine without a sound device, so
 * a WebAudio tone would send silence). Every RTCPeerConnection the page makes is kept in `window.__pcs`.
 */
export function colourCamera(options: CameraOptions): void {
  const w = window as unknown as { __pcs: RTCPeerConnection[] };
  const pcs: RTCPeerConnection[] = [];
  w.__pcs = pcs;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
    }
  } as typeof RTCPeerConnection;
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
    const stream = constraints?.audio ? await original({ audio: constraints.audio }) : new MediaStream();
    if (constraints?.video) {
      const canvas = document.createElement("canvas");
      canvas.width = 640;
      canvas.height = 480;
      const ctx = canvas.getContext("2d")!;
      const [r, g, b] = options.rgb;
      let x = 0;
      const paint = () => {
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(0, 0, 640, 480);
        ctx.fillStyle = "rgb(128,128,128)";
        ctx.fillRect(x, 470, 20, 10);
        x = (x + 8) % 620;
      };
      paint();
      setInterval(paint, 33);
      const track = canvas.captureStream(30).getVideoTracks()[0];
      stream.addTrack(track);
    }
    return stream;
  };
}

export interface ColourQuery {
  /** A CSS selector for the <video>. */
  readonly selector: string;
  readonly rgb: Rgb;
  /** Each channel within this of `rgb` counts (the codec moves colours a little). */
  readonly tolerance: number;
}

/** The share of the video's pixels in `rgb`, in its left and right halves; null while it has no picture. */
export function colourShares(q: ColourQuery): { left: number; right: number } | null {
  const video = document.querySelector<HTMLVideoElement>(q.selector);
  if (!video || video.videoWidth === 0) return null;
  const width = 160;
  const height = 90;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(video, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  const hits = [0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const near =
        Math.abs(data[i] - q.rgb[0]) <= q.tolerance &&
        Math.abs(data[i + 1] - q.rgb[1]) <= q.tolerance &&
        Math.abs(data[i + 2] - q.rgb[2]) <= q.tolerance;
      if (near) hits[x < width / 2 ? 0 : 1] += 1;
    }
  }
  const half = (width / 2) * height;
  return { left: hits[0] / half, right: hits[1] / half };
}

export interface InboundStream {
  kind: string;
  /** The stream's codec, e.g. "video/H264" or "audio/opus". */
  mimeType: string | undefined;
  packetsReceived: number;
  framesDecoded: number;
  /** Sum of the squared sample amplitudes (0..1) times each sample's duration: what a receiver heard. */
  totalAudioEnergy: number;
  totalSamplesDuration: number;
}

/** Every inbound RTP stream of the page's peer connections (colourCamera keeps them). */
export async function inboundStreams(): Promise<InboundStream[]> {
  const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
  const out: InboundStream[] = [];
  for (const pc of pcs) {
    if (pc.connectionState === "closed") continue;
    const report = await pc.getStats();
    const all = [...report.values()] as Record<string, unknown>[];
    for (const s of all) {
      if (s.type !== "inbound-rtp") continue;
      const codec = all.find((c) => c.id === s.codecId);
      out.push({
        kind: String(s.kind ?? s.mediaType),
        mimeType: codec ? String(codec.mimeType) : undefined,
        packetsReceived: Number(s.packetsReceived ?? 0),
        framesDecoded: Number(s.framesDecoded ?? 0),
        totalAudioEnergy: Number(s.totalAudioEnergy ?? 0),
        totalSamplesDuration: Number(s.totalSamplesDuration ?? 0),
      });
    }
  }
  return out;
}

/** The SDP of every offer and answer the page set as its local description, in order. */
export function localDescriptions(): string[] {
  const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
  return pcs.map((pc) => pc.localDescription?.sdp ?? "");
}

/**
 * Polls the page (every 500 ms, for up to `timeoutMs`) until `rgb` covers `share` of either half of the video.
 * Resolves to null once it does, else to the last samples (share left | right), for the failure message.
 */
export async function waitForColour(evaluate: Evaluate, query: ColourQuery, share: number, timeoutMs = 30_000): Promise<string | null> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const shares = await evaluate(colourShares, query);
    seen.push(shares ? `${(shares.left * 100).toFixed(0)}% | ${(shares.right * 100).toFixed(0)}%` : "no picture");
    if (seen.length > 8) seen.shift();
    if (shares && Math.max(shares.left, shares.right) >= share) return null;
    await new Promise((r) => setTimeout(r, 500));
  }
  return seen.join("\n");
}
