// Code that runs inside Chromium pages for the browser benchmarks (bench/browserLatency.ts,
// bench/receiverCost.ts). Every export is a self-contained function handed to Playwright's addInitScript or
// evaluate, so it may use nothing from this module's scope: Playwright sends its source text to the page.

/** The steps of joining that the probe marks, in the order they normally happen. */
export const JOIN_STEPS = [
  "getUserMediaCalled",
  "getUserMediaDone",
  "socketCreated",
  "socketOpen",
  "sent:join",
  "message:joined",
  "pcCreated",
  "sent:offer",
  "message:answer",
  "iceGathering:complete",
  "ice:checking",
  "ice:connected",
  "pc:connected",
  "track:video",
  "firstVideoPacket",
  "firstFrameDecoded",
  "firstFramePresented",
] as const;

/** tsx and vitest compile with esbuild's keepNames, whose __name() helper ends up in functions sent to a page: an init script defining it. */
export const NAME_SHIM = "globalThis.__name = (f) => f;";

/** What the page's probe collected; read with `page.evaluate(() => window.__probe)`. */
export interface ProbeReport {
  /** performance.timeOrigin of the page: its navigation start on the wall clock (ms). */
  timeOrigin: number;
  /** Milestones of joining, in ms since navigation start (the first time each happened). */
  marks: Record<string, number>;
  /** One per picture read back: when it was drawn, reached the receiver and was due on screen (wall ms). */
  frames: { drawnAt: number; receivedAt: number; displayAt: number }[];
  /** Pictures whose code failed its check (a picture between two, or a blurred one). */
  unreadable: number;
  /** Pictures presented again with a code already seen (a mix repeating a stale tile): not in `frames`. */
  repeated: number;
}

declare global {
  interface Window {
    __probe: ProbeReport;
    __pcs: RTCPeerConnection[];
    __watchVideo: (video: HTMLVideoElement) => void;
    __cameraStream: () => MediaStream;
  }
}

/**
 * Installed before the page's own scripts: a canvas camera whose every picture carries its drawing time as a
 * block code (24 bits of wall-clock ms and an 8-bit check in an 8 x 4 grid of 60 px cells on a 640x360
 * canvas, 16:9 so that a one-tile mix shows it whole), getUserMedia answering with it and a tone, timestamps of
 * every step of joining (socket, messages, the peer connection's states), and a reader that decodes the code
 * from each picture a video element presents (requestVideoFrameCallback).
 */
export function installProbe(watchSelector: string | null): void {
  const probe: ProbeReport = { timeOrigin: performance.timeOrigin, marks: {}, frames: [], unreadable: 0, repeated: 0 };
  window.__probe = probe;
  window.__pcs = [];
  const mark = (name: string) => {
    if (!(name in probe.marks)) probe.marks[name] = performance.now();
  };
  const W = 640;
  const H = 360;
  const COLS = 8;
  const CELL = 60;
  const X0 = (W - COLS * CELL) / 2;
  const Y0 = 30;
  const check = (v: number) => (v ^ (v >>> 8) ^ (v >>> 16) ^ 0x5a) & 0xff;

  let camera: MediaStream | undefined;
  window.__cameraStream = () => {
    if (camera) return camera.clone();
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext("2d")!;
    const draw = () => {
      const now = Math.round(performance.timeOrigin + performance.now());
      const value = now & 0xffffff;
      const word = value * 256 + check(value);
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, W, H);
      ctx.fillStyle = "#fff";
      for (let bit = 0; bit < 32; bit++) {
        if (Math.floor(word / 2 ** (31 - bit)) % 2 === 1)
          ctx.fillRect(X0 + (bit % COLS) * CELL, Y0 + Math.floor(bit / COLS) * CELL, CELL, CELL);
      }
    };
    draw();
    // A timer, not requestAnimationFrame: a page in the background gets no animation frames.
    setInterval(draw, 10);
    const stream = canvas.captureStream(30);
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.frequency.value = 440;
      const gain = audio.createGain();
      gain.gain.value = 0.1;
      const out = audio.createMediaStreamDestination();
      tone.connect(gain).connect(out);
      tone.start();
      for (const track of out.stream.getAudioTracks()) stream.addTrack(track);
    } catch {
      // no audio: the picture is what is measured
    }
    camera = stream;
    return stream.clone();
  };

  const devices = navigator.mediaDevices;
  if (devices) {
    devices.getUserMedia = async () => {
      mark("getUserMediaCalled");
      const stream = window.__cameraStream();
      mark("getUserMediaDone");
      return stream;
    };
  }

  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      mark("socketCreated");
      this.addEventListener("open", () => mark("socketOpen"));
      this.addEventListener("message", (event) => {
        try {
          const type = (JSON.parse(String(event.data)) as { type?: string }).type;
          if (type) mark(`message:${type}`);
        } catch {
          // not ours to judge
        }
      });
      const send = this.send.bind(this);
      this.send = (data) => {
        try {
          const type = (JSON.parse(String(data)) as { type?: string }).type;
          if (type) mark(`sent:${type}`);
        } catch {
          // not JSON
        }
        send(data);
      };
    }
  };

  const NativePc = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePc {
    constructor(config?: RTCConfiguration) {
      super(config);
      window.__pcs.push(this);
      mark("pcCreated");
      this.addEventListener("icegatheringstatechange", () => mark(`iceGathering:${this.iceGatheringState}`));
      this.addEventListener("iceconnectionstatechange", () => mark(`ice:${this.iceConnectionState}`));
      this.addEventListener("connectionstatechange", () => mark(`pc:${this.connectionState}`));
      this.addEventListener("track", (event) => mark(`track:${event.track.kind}`));
      // The first packet and the first decoded picture, from getStats every 20 ms (for at most 20 s).
      let polls = 0;
      const poll = setInterval(() => {
        if (++polls > 1000 || this.connectionState === "closed") return clearInterval(poll);
        void this.getStats().then((report) => {
          report.forEach((s: Record<string, unknown>) => {
            if (s.type !== "inbound-rtp" || s.kind !== "video") return;
            if (Number(s.packetsReceived) > 0) mark("firstVideoPacket");
            if (Number(s.framesDecoded) > 0) {
              mark("firstFrameDecoded");
              clearInterval(poll);
            }
          });
        });
      }, 20);
    }
  } as typeof RTCPeerConnection;

  // The reader: a small canvas, each cell's centre averaged, then thresholded.
  const reader = document.createElement("canvas");
  reader.width = W;
  reader.height = H;
  const rctx = reader.getContext("2d", { willReadFrequently: true })!;
  const read = (video: HTMLVideoElement): number | undefined => {
    rctx.drawImage(video, 0, 0, W, H);
    const pixels = rctx.getImageData(0, 0, W, H).data;
    let word = 0;
    for (let bit = 0; bit < 32; bit++) {
      const cx = X0 + (bit % COLS) * CELL + CELL / 2;
      const cy = Y0 + Math.floor(bit / COLS) * CELL + CELL / 2;
      let sum = 0;
      for (let dy = -8; dy <= 8; dy += 4) {
        for (let dx = -8; dx <= 8; dx += 4) sum += pixels[((cy + dy) * W + cx + dx) * 4 + 1];
      }
      word = word * 2 + (sum / 25 > 128 ? 1 : 0);
    }
    const value = Math.floor(word / 256);
    return (word & 0xff) === check(value) ? value : undefined;
  };
  const seen = new Set<number>();
  window.__watchVideo = (video) => {
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      mark("firstFramePresented");
      const value = read(video);
      if (value === undefined) probe.unreadable++;
      else if (seen.has(value)) probe.repeated++;
      else {
        // Each drawing counts once, when it first shows: a picture repeated (a frozen tile) is not younger.
        seen.add(value);
        if (seen.size > 4000) seen.delete(seen.values().next().value!);
        const displayAt = performance.timeOrigin + meta.expectedDisplayTime;
        // The code holds the low 24 bits of the drawing time; the picture is younger than 4.6 hours.
        const drawnAt = displayAt - ((Math.round(displayAt) - value) & 0xffffff);
        const receivedAt = meta.receiveTime !== undefined ? performance.timeOrigin + meta.receiveTime : NaN;
        if (probe.frames.length < 20000) probe.frames.push({ drawnAt, receivedAt, displayAt });
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  if (watchSelector) {
    let tries = 0;
    const find = setInterval(() => {
      const video = document.querySelector<HTMLVideoElement>(watchSelector);
      if (video) window.__watchVideo(video);
      if (video || ++tries > 6000) clearInterval(find);
    }, 5);
  }
}

/**
 * A direct browser-to-browser call inside one page, for comparison: the same canvas camera through one
 * RTCPeerConnection to another on loopback, both Chromium's, played in a video element that the probe reads.
 */
export async function startDirectCall(): Promise<void> {
  const stream = window.__cameraStream();
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
  b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
  b.ontrack = (e) => {
    video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
    void video.play().catch(() => undefined);
  };
  for (const track of stream.getTracks()) a.addTrack(track, stream);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  window.__watchVideo(video);
}

/** The inbound-rtp figures of every peer connection in the page, summed per kind, and its video sent (`sent`). */
export async function inboundStats(): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  const wanted = [
    "packetsReceived",
    "bytesReceived",
    "framesDecoded",
    "framesReceived",
    "jitterBufferDelay",
    "jitterBufferTargetDelay",
    "jitterBufferMinimumDelay",
    "jitterBufferEmittedCount",
    "totalDecodeTime",
    "totalProcessingDelay",
    "totalAssemblyTime",
    "framesAssembledFromMultiplePackets",
    "freezeCount",
    "totalFreezesDuration",
    "keyFramesDecoded",
    "nackCount",
    "pliCount",
    "concealedSamples",
    "totalSamplesReceived",
  ];
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    const report = await pc.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === "outbound-rtp" && s.kind === "video") {
        // What the page itself sends: a camera held back by its own encoder or estimate shows here.
        const sent = (out.sent ??= {});
        for (const key of ["framesEncoded", "framesSent", "bytesSent", "totalEncodeTime", "totalPacketSendDelay", "packetsSent"])
          if (typeof s[key] === "number") sent[key] = (sent[key] ?? 0) + (s[key] as number);
        const limited = s.qualityLimitationDurations as Record<string, number> | undefined;
        for (const [reason, seconds] of Object.entries(limited ?? {}))
          sent[`limited:${reason}`] = (sent[`limited:${reason}`] ?? 0) + seconds;
        if (typeof s.frameWidth === "number") sent.frameWidth = s.frameWidth;
        return;
      }
      if (s.type !== "inbound-rtp") return;
      const kind = String(s.kind);
      const sums = (out[kind] ??= {});
      for (const key of wanted) if (typeof s[key] === "number") sums[key] = (sums[key] ?? 0) + (s[key] as number);
    });
  }
  return out;
}
