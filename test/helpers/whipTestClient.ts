import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useH264, useOPUS, useVP8, type RtpPacket as Packet } from "werift";
import { OpusDecoder } from "../../mixer/audio/opusCodec.js";
import { ReorderBuffer } from "../../mixer/rtp/reorderBuffer.js";
import { Vp8Packetizer } from "../../mixer/rtp/vp8Packetizer.js";
import { FrameAssembler } from "../../mixer/video/frameAssembler.js";
import { disableImplicitStun } from "../../src/peers/noDefaultStun.js";
import { solidColourClip, tonePackets } from "./fixtures.js";
import { MixedStreamDecoder } from "./mixedStreamDecoder.js";

export interface WhipAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export interface WhipClientOptions {
  /** The endpoint: `<server>/whip/<room>` or `<server>/whep/<room>`, with any query. */
  readonly endpoint: string;
  readonly token?: string;
  /** WHIP: the colour and tone sent. */
  readonly colour?: string;
  readonly toneHz?: number;
  /** The offer's video codecs, first choice first (default VP8 alone). */
  readonly videoCodecs?: readonly ("vp8" | "h264")[];
}

/**
 * A WHIP publisher or WHEP player as a plain RFC 9725 client is: a werift peer on 127.0.0.1 that gathers
 * its candidates into the offer (no trickle), POSTs it as application/sdp and applies the 201's answer. The
 * publisher sends a solid-colour VP8 clip and an Opus tone on sendonly sections; the player decodes the mix
 * from recvonly ones.
 */
export class WhipTestClient {
  readonly pc: RTCPeerConnection;
  answer: WhipAnswer | undefined;
  /** The session's URL (the 201's Location, resolved against the endpoint). */
  location: string | undefined;
  readonly decoder = new MixedStreamDecoder();
  readonly receivedAudio: Int16Array[] = [];
  readonly videoPayloadTypes = new Set<number>();
  videoPackets = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opus = new OpusDecoder();
  private readonly videoOut = new MediaStreamTrack({ kind: "video" });
  private readonly audioOut = new MediaStreamTrack({ kind: "audio" });

  private constructor(
    private readonly options: WhipClientOptions,
    readonly kind: "whip" | "whep",
  ) {
    const codecs = (options.videoCodecs ?? ["vp8"]).map((c) => (c === "h264" ? useH264() : useVP8()));
    this.pc = new RTCPeerConnection({
      codecs: { video: codecs, audio: [useOPUS()] },
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ["127.0.0.1"],
      iceInterfaceAddresses: { udp4: "127.0.0.1" },
      iceServers: [],
    });
  }

  /** POSTs a sendonly offer; `connect` waits for the media connection and starts sending. */
  static async publish(options: WhipClientOptions): Promise<WhipTestClient> {
    const client = new WhipTestClient(options, "whip");
    client.pc.addTransceiver(client.audioOut, { direction: "sendonly" });
    client.pc.addTransceiver(client.videoOut, { direction: "sendonly" });
    await client.post();
    return client;
  }

  /** POSTs a recvonly offer; the mix arrives in `decoder` and `receivedAudio`. */
  static async play(options: WhipClientOptions): Promise<WhipTestClient> {
    const client = new WhipTestClient(options, "whep");
    client.pc.addTransceiver("audio", { direction: "recvonly" });
    client.pc.addTransceiver("video", { direction: "recvonly" });
    client.pc.onTrack.subscribe((track) => client.receive(track));
    await client.post();
    return client;
  }

  get status(): number | undefined {
    return this.answer?.status;
  }

  /** Waits for ICE and DTLS; a publisher then sends its clip and tone. */
  async connect(timeoutMs = 15_000): Promise<void> {
    if (this.pc.connectionState !== "connected") await this.pc.connectionStateChange.watch((s) => s === "connected", timeoutMs);
    if (this.kind === "whip") this.startSending();
  }

  /** DELETE on the session's Location; the status it answered. */
  async delete(): Promise<number> {
    if (!this.location) throw new Error("no session to delete");
    const res = await fetch(this.location, { method: "DELETE", headers: this.authorization() });
    await res.arrayBuffer();
    return res.status;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.pc.close().catch(() => undefined);
    await this.decoder.close();
    this.opus.close();
  }

  recentAudio(ms: number): Int16Array {
    const chunks = this.receivedAudio.slice(-Math.ceil(ms / 20));
    const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private authorization(): Record<string, string> {
    return this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {};
  }

  private async post(): Promise<void> {
    const offer = await this.pc.createOffer();
    disableImplicitStun(this.pc, false);
    await this.pc.setLocalDescription(offer);
    if (this.pc.iceGatheringState !== "complete")
      await this.pc.iceGatheringStateChange.watch((s) => s === "complete", 5000).catch(() => undefined);
    const res = await fetch(this.options.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", ...this.authorization() },
      body: this.pc.localDescription!.sdp,
      redirect: "manual",
    });
    this.answer = { status: res.status, headers: res.headers, body: await res.text() };
    if (res.status !== 201) return;
    this.location = new URL(res.headers.get("location") ?? "", this.options.endpoint).toString();
    await this.pc.setRemoteDescription({ type: "answer", sdp: this.answer.body });
    if (this.kind === "whip") {
      // werift sends on the first negotiated codec; the clip is VP8, labelled so whatever the offer put first.
      const video = this.pc.getTransceivers().find((t) => t.kind === "video");
      const codec = video?.codecs.find((c) => c.mimeType.toLowerCase() === "video/vp8");
      if (video && codec) {
        video.sender.codec = codec;
        this.videoOut.codec = codec;
      }
    }
  }

  private startSending(): void {
    const clip = solidColourClip(this.options.colour ?? "red");
    const tone = tonePackets(this.options.toneHz ?? 440);
    const packetizer = new Vp8Packetizer(96, 1);
    const started = performance.now();
    let frame = 0;
    let audio = 0;
    this.timers.push(
      setInterval(() => {
        for (const due = Math.floor((performance.now() - started) / (1000 / 30)); frame <= due; frame++) {
          for (const p of packetizer.packetize(clip.frames[frame % clip.frames.length].data, frame * 3000)) this.videoOut.writeRtp(p);
        }
        for (const due = Math.floor((performance.now() - started) / 20); audio <= due; audio++) {
          const header = new RtpHeader({
            payloadType: 111,
            sequenceNumber: audio & 0xffff,
            timestamp: (audio * 960) >>> 0,
            ssrc: 2,
            marker: false,
          });
          this.audioOut.writeRtp(new RtpPacket(header, tone[audio % tone.length]).serialize());
        }
      }, 10),
    );
  }

  private receive(track: MediaStreamTrack): void {
    if (track.kind === "audio") {
      track.onReceiveRtp.subscribe((packet) => {
        const pcm = this.opus.decode(packet.payload);
        if (pcm) this.receivedAudio.push(pcm);
      });
      return;
    }
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === "video");
    let decode: ((packet: Packet) => void) | undefined;
    track.onReceiveRtp.subscribe((packet) => {
      this.videoPackets++;
      this.videoPayloadTypes.add(packet.header.payloadType);
      const named = transceiver?.codecs.find((c) => c.payloadType === packet.header.payloadType)?.mimeType.toLowerCase();
      decode ??= this.framesInto(named === "video/h264" ? "h264" : "vp8");
      decode(packet);
    });
  }

  /** The codec a payload type names in this client's negotiation. */
  codecOf(payloadType: number): string | undefined {
    return this.pc
      .getTransceivers()
      .find((t) => t.kind === "video")
      ?.codecs.find((c) => c.payloadType === payloadType)
      ?.mimeType.toLowerCase();
  }

  private framesInto(codec: "vp8" | "h264"): (packet: Packet) => void {
    const assembler = new FrameAssembler(codec, { frame: (f) => this.decoder.push(f, codec), needKeyframe: () => undefined });
    const reorder = new ReorderBuffer<Packet>(
      { maxWaitMs: 100, maxPackets: 500 },
      { packet: (p) => assembler.packet(p), lost: () => assembler.lost() },
    );
    return (packet) => reorder.push(packet, performance.now());
  }
}
