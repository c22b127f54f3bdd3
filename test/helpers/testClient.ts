import {
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  RtpPacket,
  serializeAudioLevelIndication,
  useAudioLevelIndication,
  useH264,
  useOPUS,
  useVP8,
  type RTCRtpTransceiver,
  type RtpPacket as Packet,
} from "werift";
import WebSocket from "ws";
import { OpusDecoder } from "../../mixer/audio/opusCodec.js";
import { ReorderBuffer } from "../../mixer/rtp/reorderBuffer.js";
import { Vp8Packetizer } from "../../mixer/rtp/vp8Packetizer.js";
import { FrameAssembler } from "../../mixer/video/frameAssembler.js";
import { RtpHeader } from "werift";
import type { ServerMessage } from "../../protocol/messages.js";
import { disableImplicitStun } from "../../src/peers/noDefaultStun.js";
import { H264Packetizer } from "../../mixer/rtp/h264Packetizer.js";
import { solidColourClip, tonePackets, type EncodedClip } from "./fixtures.js";
import { MixedStreamDecoder, type ProbeSize } from "./mixedStreamDecoder.js";
import { readServerMessage } from "./serverMessage.js";

export interface TestClientOptions {
  readonly url: string;
  readonly room: string;
  readonly name: string;
  readonly role?: "sender" | "viewer";
  readonly mode?: "mcu" | "sfu" | "mesh";
  readonly colour?: string;
  /** Send this clip instead of a solid colour. */
  readonly clip?: EncodedClip;
  readonly toneHz?: number;
  /** Peak amplitude of the tone (16-bit scale); 0 sends digital silence. Default 8000 (about -15 dBov RMS). */
  readonly toneAmplitude?: number;
  /** Send these Opus packets in a loop instead of a tone. */
  readonly audioPackets?: Buffer[];
  /** Skip decoding received video (load generators count frames only). */
  readonly decode?: boolean;
  /**
   * Negotiate the RFC 6464 audio-level header extension and stamp every audio packet with this level
   * (0-127, -dBov), whatever the packets really contain.
   */
  readonly audioLevel?: number;
  /** Size received video is decoded to for inspection (default 160x90). */
  readonly probeSize?: ProbeSize;
  /**
   * Decode only the mix's keyframes: a full-size picture at 30 fps is more than a loaded 2-core machine's
   * test-side ffmpeg keeps up with (seen 5 s behind and falling), and a still picture reads as well from one.
   */
  readonly decodeKeyframesOnly?: boolean;
  /** Join with this resume key (from an earlier client's `resumeKey`): come back as that participant. */
  readonly resume?: string;
  /**
   * Obey `tile` messages as a browser does: switch to the clip this returns for the tile's size (from its
   * first frame, a keyframe, as a simulcast layer switch would); undefined keeps the current clip.
   */
  readonly clipForTile?: (size: { width: number; height: number }) => EncodedClip | undefined;
  /** Keep server offers this client cannot answer in `offerErrors` instead of rejecting (unhandled). */
  readonly collectOfferErrors?: boolean;
  /**
   * The video codecs the offer lists, first choice first. Default: H264 then VP8 for an H264 clip (as
   * Safari offers), VP8 alone otherwise. The MCU sends the mix in the first of VP8 and H264.
   */
  readonly videoCodecs?: readonly ("vp8" | "h264")[];
  /** Drop this share (percent) of the media packets arriving here, at random, before werift sees them (its own loss simulation). */
  readonly inboundLossPercent?: number;
}

/**
 * A headless participant: a real werift peer connection that sends a real VP8 clip and Opus tone over
 * loopback, and decodes what the server sends back with a real ffmpeg and libopus.
 */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly decoder: MixedStreamDecoder;
  readonly receivedAudio: Int16Array[] = [];
  readonly videoArrivals: number[] = [];
  readonly videoSsrcs = new Set<number>();
  /** Payload types the received (mixed) video arrived with: they must name the codec it really is. */
  readonly videoPayloadTypes = new Set<number>();
  /** The codecs those payload types name in this client's negotiation: the mix is decoded as what it is labelled. */
  readonly mixCodecsReceived = new Set<"vp8" | "h264">();
  /** SFU: what arrives from each remote participant (by the stream id, which is their participant id). */
  readonly remotes = new Map<string, { decoder: MixedStreamDecoder; audio: Int16Array[]; opus: OpusDecoder }>();
  answeredOffers = 0;
  /** With `clipForTile`: how many times a `tile` message switched the clip sent. */
  tileSwitches = 0;
  /** With `collectOfferErrors`: server offers (SFU renegotiation) this client could not answer, with the offer's sections. */
  readonly offerErrors: string[] = [];
  /** RTP bytes (header + payload) this client has sent and received, and how many media tracks it receives. */
  bytesSent = 0;
  bytesReceived = 0;
  /**
   * RTP packets received, and how many of them repeated the packet just before them on their track (same
   * SSRC and sequence number): a packet written twice in a row, as a forwarder wired twice does. A
   * retransmission answering a NACK comes after later packets, so it is not counted.
   */
  packetsReceived = 0;
  repeatedPackets = 0;
  tracksReceived = 0;
  /** With `inboundLossPercent` (0 too): the sequence numbers of the mix's video packets that reached the track (resends included). */
  readonly videoSequenceNumbers = new Set<number>();
  /** Arrival time of each received audio packet. */
  readonly audioArrivals: number[] = [];
  /** The sequence number of each received audio packet, in arrival order. */
  readonly audioSequence: number[] = [];
  /** Arrival time of each received video frame's last packet (marker bit). */
  readonly frameArrivals: number[] = [];
  /** When each whole keyframe of the mix was assembled here (before decoding). */
  readonly keyframeArrivals: number[] = [];
  /** The picture size of each VP8 keyframe of the mix, when it arrived: which rendition this client is sent. */
  readonly mixKeyframeSizes: { at: number; width: number; height: number }[] = [];
  /** The sequence number of each mixed video packet, in arrival order. */
  readonly videoSequence: number[] = [];
  /** When the peer connection reached "connected" (ICE and DTLS done; performance.now). */
  connectedAt: number | undefined;
  id = "";
  /** Cluster: the /ws URL this client joined on (the room's node), and the redirects that led there. */
  socketUrl = "";
  /** performance.now() when the server admitted this client (`joined`). */
  joinedAt: number | undefined;
  readonly redirects: string[] = [];
  /** joined.resume: what a later client presents to come back as this participant. */
  resumeKey: string | undefined;
  private ws!: WebSocket;
  private pc!: RTCPeerConnection;
  private readonly videoOut = new MediaStreamTrack({ kind: "video" });
  private readonly audioOut = new MediaStreamTrack({ kind: "audio" });
  private clip: EncodedClip | undefined;
  private tone: Buffer[] | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** The screen share's peer connection (shareScreen), while it runs. */
  private screenPc: RTCPeerConnection | undefined;
  private audioLevel: number | undefined;
  private readonly opus = new OpusDecoder();
  sendingVideo = false;
  /** When each frame of the clip (by its index in the clip) was last sent: the bench's latency reference. */
  readonly frameSentAt: number[] = [];

  constructor(private readonly options: TestClientOptions) {
    this.decoder = new MixedStreamDecoder(options.probeSize, options.decodeKeyframesOnly);
    if (options.colour) this.clip = solidColourClip(options.colour);
    if (options.clip) this.clip = options.clip;
    if (options.toneHz) this.tone = tonePackets(options.toneHz, options.toneAmplitude);
    if (options.audioPackets) this.tone = options.audioPackets;
    this.audioLevel = options.audioLevel;
  }

  async connect(): Promise<void> {
    let wsUrl = this.options.url.replace(/^http/, "ws") + "/ws";
    // A cluster node may send the join on to the room's node, as it does a browser (client/redirect.ts).
    for (let hop = 0; ; hop++) {
      const from = this.messages.length;
      await this.openSocket(wsUrl);
      const { mode, resume } = this.options;
      this.send({
        type: "join",
        room: this.options.room,
        name: this.options.name,
        role: this.options.role ?? "sender",
        ...(mode ? { mode } : {}),
        ...(resume ? { resume } : {}),
      });
      const joined = await this.waitFor((m) => m.type === "joined" || m.type === "error" || m.type === "redirect", 10_000, from);
      if (joined.type === "error") throw new Error(`join refused: ${joined.code}: ${joined.message}`);
      if (joined.type === "joined") {
        this.id = joined.id;
        this.resumeKey = joined.resume;
        this.joinedAt = performance.now();
        this.socketUrl = wsUrl;
        break;
      }
      if (joined.type === "redirect") {
        if (hop >= 3) throw new Error(`${this.options.name}: redirected more than 3 times`);
        this.redirects.push(joined.url);
        this.ws.close();
        wsUrl = joined.url;
      }
    }

    this.pc = this.newPeerConnection(this.options.videoCodecs ?? (this.clip?.codec === "h264" ? ["h264", "vp8"] : ["vp8"]));
    const direction = this.options.role === "viewer" ? "recvonly" : "sendrecv";
    if (direction === "sendrecv") {
      this.pc.addTransceiver(this.audioOut, { direction });
      this.pc.addTransceiver(this.videoOut, { direction });
    } else {
      this.pc.addTransceiver("audio", { direction });
      this.pc.addTransceiver("video", { direction });
    }
    const wired = new WeakSet<MediaStreamTrack>();
    this.pc.ontrack = ({ track, streams, transceiver }) => {
      // werift fires this again for existing tracks at every renegotiation.
      if (wired.has(track)) return;
      wired.add(track);
      this.tracksReceived++;
      let previous = -1;
      track.onReceiveRtp.subscribe((packet) => {
        this.bytesReceived += 12 + packet.payload.length;
        this.packetsReceived++;
        const key = packet.header.ssrc * 65_536 + packet.header.sequenceNumber;
        if (key === previous) this.repeatedPackets++;
        previous = key;
      });
      const streamId = streams[0]?.id;
      const remote = streamId && streamId !== "tessera-mix" ? this.remote(streamId) : undefined;
      if (remote) return this.receiveRemote(track, remote, transceiver);
      return track.kind === "video" ? this.receiveVideo(track, transceiver) : this.receiveAudio(track);
    };
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") this.connectedAt ??= performance.now();
    });
    const offer = await this.pc.createOffer();
    disableImplicitStun(this.pc, false);
    await this.pc.setLocalDescription(offer);
    if (this.pc.iceGatheringState !== "complete")
      await this.pc.iceGatheringStateChange.watch((s) => s === "complete", 5000).catch(() => undefined);
    this.send({ type: "offer", sdp: this.pc.localDescription!.sdp });
    const answer = await this.waitFor((m) => m.type === "answer" || m.type === "error");
    if (answer.type === "error") throw new Error(`offer refused: ${answer.code}: ${answer.message}`);
    if (answer.type === "answer") await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    if (this.pc.connectionState !== "connected") await this.pc.connectionStateChange.watch((s) => s === "connected", 10_000);
    this.sendInClipCodec();
    this.startSending();
  }

  private newPeerConnection(videoCodecs: readonly ("vp8" | "h264")[]): RTCPeerConnection {
    return new RTCPeerConnection({
      codecs: { video: videoCodecs.map((c) => (c === "h264" ? useH264() : useVP8())), audio: [useOPUS()] },
      headerExtensions: { video: [], audio: this.options.audioLevel === undefined ? [] : [useAudioLevelIndication()] },
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ["127.0.0.1"],
      iceInterfaceAddresses: { udp4: "127.0.0.1" },
      iceServers: [],
      // werift 0.24 keeps a packet when `inboundPacketLoss / 100 < Math.random()`: the option is the share kept.
      ...(this.options.inboundLossPercent ? { debug: { inboundPacketLoss: 100 - this.options.inboundLossPercent } } : {}),
    });
  }

  private async openSocket(wsUrl: string): Promise<void> {
    const ws = new WebSocket(wsUrl);
    this.ws = ws;
    // A node killed under the socket resets it: the close event says so; the error must not crash the test.
    ws.on("error", () => undefined);
    ws.on("message", (data) => {
      const message = readServerMessage(data);
      this.messages.push(message);
      if (message.type === "offer") void this.answerServerOffer(message.sdp);
      if (message.type === "tile" && this.options.clipForTile) {
        const clip = this.options.clipForTile({ width: message.width, height: message.height });
        if (clip && clip !== this.clip) {
          this.setClip(clip);
          this.tileSwitches++;
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  async waitFor(predicate: (m: ServerMessage) => boolean, timeoutMs = 10_000, from = 0): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`${this.options.name}: timed out waiting for a message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The clip being sent now. */
  get currentClip(): EncodedClip | undefined {
    return this.clip;
  }

  /** Replace the picture this client sends; the new clip starts at its first frame (a keyframe). */
  setClip(clip: EncodedClip): void {
    this.clip = clip;
  }

  /**
   * Replace the sound this client sends (20 ms Opus packets, looped), e.g. to go quiet or start talking;
   * with `audioLevel`, also the RFC 6464 level stamped on them (the extension must have been negotiated).
   */
  setAudio(packets: Buffer[], audioLevel?: number): void {
    this.tone = packets;
    if (audioLevel !== undefined) this.audioLevel = audioLevel;
  }

  stopVideo(): void {
    this.sendingVideo = false;
  }

  /** Samples received in the last `ms` milliseconds of audio. */
  recentAudio(ms: number): Int16Array {
    const wanted = Math.round((ms / 1000) * 48_000);
    const chunks: Int16Array[] = [];
    let total = 0;
    for (let i = this.receivedAudio.length - 1; i >= 0 && total < wanted; i--) {
      chunks.unshift(this.receivedAudio[i]);
      total += this.receivedAudio[i].length;
    }
    const out = new Int16Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }

  /** True while the signaling socket is open (false once the server has closed it, or before connect). */
  get socketOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /**
   * Leaves as a crashed tab does: the signaling socket is cut without a close frame (the server sees the
   * TCP connection end, code 1006), then everything local is released as close() does.
   */
  async drop(): Promise<void> {
    this.ws?.terminate();
    await this.close();
  }

  async close(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.ws?.close();
    await this.pc?.close().catch(() => undefined);
    await this.screenPc?.close().catch(() => undefined);
    await this.decoder.close();
    this.opus.close();
    for (const r of this.remotes.values()) {
      await r.decoder.close();
      r.opus.close();
    }
  }

  /** werift sends on the first codec of the offer; the clip goes out labelled as what it is, as a browser's would. */
  private sendInClipCodec(): void {
    const video = this.pc.getTransceivers().find((t) => t.kind === "video");
    const codec = video?.codecs.find((c) => c.mimeType.toLowerCase() === `video/${this.clip?.codec ?? "vp8"}`);
    if (!video || !codec) return;
    video.sender.codec = codec;
    this.videoOut.codec = codec;
  }

  private startSending(): void {
    if (this.options.role === "viewer") return;
    this.sendingVideo = true;
    // Video and audio share one origin so a clip and its sound leave the client in sync.
    const started = performance.now();
    this.pumpVideo(this.videoOut, () => (this.sendingVideo ? this.clip : undefined), started, this.frameSentAt);
    if (!this.tone) return;
    const levelId = /^a=extmap:(\d+) urn:ietf:params:rtp-hdrext:ssrc-audio-level/m.exec(this.pc.remoteDescription?.sdp ?? "")?.[1];
    const levelPayloads = new Map<number, Buffer>();
    const extensions = () => {
      const level = this.audioLevel;
      if (!levelId || level === undefined) return [];
      let payload = levelPayloads.get(level);
      if (!payload) levelPayloads.set(level, (payload = Buffer.from(serializeAudioLevelIndication(level))));
      return [{ id: Number(levelId), payload }];
    };
    let audioIndex = 0;
    let seq = 0;
    this.timers.push(
      setInterval(() => {
        const due = Math.floor((performance.now() - started) / 20);
        for (; audioIndex <= due; audioIndex++) {
          const header = new RtpHeader({
            payloadType: 111,
            sequenceNumber: seq++ & 0xffff,
            timestamp: (audioIndex * 960) >>> 0,
            ssrc: 2,
            marker: false,
            extensions: extensions(),
          });
          const tone = this.tone!;
          const packet = new RtpPacket(header, tone[audioIndex % tone.length]).serialize();
          this.bytesSent += packet.length;
          this.audioOut.writeRtp(packet);
        }
      }, 10),
    );
  }

  /** Sends `clip()`'s frames on `track` at 30 fps from `started` (nothing while it is undefined); a new clip starts at its first frame. */
  private pumpVideo(track: MediaStreamTrack, clip: () => EncodedClip | undefined, started: number, sentAt?: number[]): void {
    const packetizer = clip()?.codec === "h264" ? new H264Packetizer(96, 1) : new Vp8Packetizer(96, 1);
    let frame = 0;
    let playing: EncodedClip | undefined;
    let clipFrame = 0;
    this.timers.push(
      setInterval(() => {
        const current = clip();
        if (!current) return;
        const due = Math.floor((performance.now() - started) / (1000 / 30));
        for (; frame <= due; frame++) {
          if (current !== playing) {
            playing = current;
            clipFrame = 0;
          }
          const index = clipFrame++ % playing.frames.length;
          for (const p of packetizer.packetize(playing.frames[index].data, frame * 3000)) {
            this.bytesSent += p.length;
            track.writeRtp(p);
          }
          if (sentAt) sentAt[index] = performance.now();
        }
      }, 10),
    );
  }

  /**
   * Shares `clip` as a screen (VP8), as the page does (client/screenShare.ts): a second peer connection with
   * a sendonly video section and an audio one, offered as `screenOffer`: sendonly with `sound` (20 ms Opus
   * packets, looped: a tab's audio), else receive-only. Resolves once it is connected; throws on the
   * server's error (screen-busy, ...).
   */
  async shareScreen(clip: EncodedClip, sound?: Buffer[]): Promise<void> {
    const from = this.messages.length;
    const pc = this.newPeerConnection(["vp8"]);
    this.screenPc = pc;
    const track = new MediaStreamTrack({ kind: "video" });
    pc.addTransceiver(track, { direction: "sendonly" });
    const soundTrack = new MediaStreamTrack({ kind: "audio" });
    if (sound) pc.addTransceiver(soundTrack, { direction: "sendonly" });
    else pc.addTransceiver("audio", { direction: "recvonly" });
    const offer = await pc.createOffer();
    disableImplicitStun(pc, false);
    await pc.setLocalDescription(offer);
    if (pc.iceGatheringState !== "complete") await pc.iceGatheringStateChange.watch((s) => s === "complete", 5000).catch(() => undefined);
    this.send({ type: "screenOffer", sdp: pc.localDescription!.sdp });
    const answer = await this.waitFor((m) => m.type === "screenAnswer" || m.type === "error", 10_000, from);
    if (answer.type === "error") throw new Error(`screen refused: ${answer.code}: ${answer.message}`);
    if (answer.type === "screenAnswer") await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    if (pc.connectionState !== "connected") await pc.connectionStateChange.watch((s) => s === "connected", 10_000);
    const started = performance.now();
    this.pumpVideo(track, () => (this.screenPc === pc ? clip : undefined), started);
    if (!sound) return;
    let index = 0;
    this.timers.push(
      setInterval(() => {
        if (this.screenPc !== pc) return;
        for (const due = Math.floor((performance.now() - started) / 20); index <= due; index++) {
          const header = new RtpHeader({
            payloadType: 111,
            sequenceNumber: index & 0xffff,
            timestamp: (index * 960) >>> 0,
            ssrc: 4,
            marker: false,
          });
          soundTrack.writeRtp(new RtpPacket(header, sound[index % sound.length]).serialize());
        }
      }, 10),
    );
  }

  /** Ends the share started by shareScreen, telling the server as the page's button does. */
  async stopScreen(): Promise<void> {
    const pc = this.screenPc;
    this.screenPc = undefined;
    this.send({ type: "screenStop" });
    await pc?.close().catch(() => undefined);
  }

  /** In-order, whole frames into `decoder`: the same path the server's inputs take. */
  private framesInto(
    decoder: MixedStreamDecoder,
    codec: "vp8" | "h264" = "vp8",
    keyframes?: number[],
  ): (packet: Packet, now: number) => void {
    const assembler = new FrameAssembler(codec, {
      frame: (f) => {
        if (f.isKeyframe) keyframes?.push(performance.now());
        // A VP8 keyframe's header: start code 9d 01 2a, then 14-bit width and height (RFC 6386, 9.1).
        if (
          keyframes === this.keyframeArrivals &&
          f.isKeyframe &&
          codec === "vp8" &&
          f.data.length >= 10 &&
          f.data[3] === 0x9d &&
          f.data[4] === 0x01 &&
          f.data[5] === 0x2a
        ) {
          this.mixKeyframeSizes.push({
            at: performance.now(),
            width: f.data.readUInt16LE(6) & 0x3fff,
            height: f.data.readUInt16LE(8) & 0x3fff,
          });
        }
        if (this.options.decode !== false) decoder.push(f, codec);
      },
      needKeyframe: () => undefined,
    });
    const reorder = new ReorderBuffer<Packet>(
      { maxWaitMs: 100, maxPackets: 500 },
      { packet: (p) => assembler.packet(p), lost: () => assembler.lost() },
    );
    return (packet, now) => reorder.push(packet, now);
  }

  /**
   * Reports picture loss on the received mix (RTCP PLI), as a browser does after loss or a decoder reset.
   * `fromSsrc`: send it from this SSRC, as a receive-only Chromium does from 1 (libwebrtc's
   * kDefaultRtcpReceiverReportSsrc, an SSRC the server never saw), instead of werift's own.
   */
  async sendPictureLoss(fromSsrc?: number): Promise<void> {
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === "video");
    const ssrc = this.videoSsrcs.values().next().value;
    if (!transceiver || ssrc === undefined) throw new Error(`${this.options.name}: no mixed video received yet to report loss on`);
    if (fromSsrc === undefined) return void (await transceiver.receiver.sendRtcpPLI(ssrc));
    const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: fromSsrc, mediaSsrc: ssrc }) });
    await transceiver.receiver.dtlsTransport.sendRtcp([pli]);
  }

  private receiveVideo(track: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    // Decoded as the codec its payload type names, as a browser would: a mislabelled mix shows as garbage.
    let decode: ((packet: Packet, now: number) => void) | undefined;
    track.onReceiveRtp.subscribe((packet) => {
      const now = performance.now();
      this.videoArrivals.push(now);
      this.videoSequence.push(packet.header.sequenceNumber);
      if (packet.header.marker) this.frameArrivals.push(now);
      this.videoSsrcs.add(packet.header.ssrc);
      if (this.options.inboundLossPercent !== undefined) this.videoSequenceNumbers.add(packet.header.sequenceNumber);
      this.videoPayloadTypes.add(packet.header.payloadType);
      const named = transceiver.codecs.find((c) => c.payloadType === packet.header.payloadType)?.mimeType.toLowerCase();
      const codec = named === "video/h264" ? "h264" : "vp8";
      this.mixCodecsReceived.add(codec);
      decode ??= this.framesInto(this.decoder, codec, this.keyframeArrivals);
      // Assembled even when not decoded (cheap): keyframeArrivals and mixKeyframeSizes say what arrived.
      decode(packet, now);
    });
  }

  private remote(id: string) {
    let remote = this.remotes.get(id);
    if (!remote) {
      remote = { decoder: new MixedStreamDecoder(this.options.probeSize), audio: [], opus: new OpusDecoder() };
      this.remotes.set(id, remote);
    }
    return remote;
  }

  private receiveRemote(
    track: MediaStreamTrack,
    remote: { decoder: MixedStreamDecoder; audio: Int16Array[]; opus: OpusDecoder },
    transceiver: RTCRtpTransceiver,
  ): void {
    if (track.kind === "audio") {
      track.onReceiveRtp.subscribe((packet) => {
        const pcm = remote.opus.decode(packet.payload);
        if (pcm) remote.audio.push(pcm);
      });
      return;
    }
    if (this.options.decode === false) return;
    // Decoded as the codec its payload type names, as a browser would: a mislabelled stream shows as garbage.
    let decode: ((packet: Packet, now: number) => void) | undefined;
    track.onReceiveRtp.subscribe((packet) => {
      const named = transceiver.codecs.find((c) => c.payloadType === packet.header.payloadType)?.mimeType.toLowerCase();
      decode ??= this.framesInto(remote.decoder, named === "video/h264" ? "h264" : "vp8");
      decode(packet, performance.now());
    });
  }

  private answering = Promise.resolve();

  /** SFU: the server renegotiates to add or retire other participants' tracks. One at a time. */
  private answerServerOffer(sdp: string): Promise<void> {
    this.answering = this.answering.then(async () => {
      try {
        // werift 0.24, answering, recycles an inactive transceiver for a new m-section even though the offer
        // still lists the old one, and then cannot answer it ("Transceiver with mid=2 not found"): the SFU's
        // third sender after a departure. Marked as used, werift leaves them alone, as a browser would.
        const offeredMids = new Set([...sdp.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]));
        for (const t of this.pc.getTransceivers()) if (t.mid !== null && offeredMids.has(t.mid)) t.usedForSender = true;
        await this.pc.setRemoteDescription({ type: "offer", sdp });
        await this.pc.setLocalDescription(await this.pc.createAnswer());
        this.send({ type: "answer", sdp: this.pc.localDescription!.sdp });
        this.answeredOffers++;
      } catch (err) {
        // A soak keeps going and reports it with the client's name; other tests fail on the rejection as before.
        if (!this.options.collectOfferErrors) throw err;
        const sections = sdp
          .split(/\r?\n/)
          .filter((l) => /^(m=|a=mid:|a=(sendrecv|sendonly|recvonly|inactive)$)/.test(l))
          .join(" ");
        this.offerErrors.push(`${(err as Error).message} (offer: ${sections})`);
      }
    });
    return this.answering;
  }

  private receiveAudio(track: MediaStreamTrack): void {
    track.onReceiveRtp.subscribe((packet) => {
      this.audioArrivals.push(performance.now());
      this.audioSequence.push(packet.header.sequenceNumber);
      const pcm = this.opus.decode(packet.payload);
      if (pcm) this.receivedAudio.push(pcm);
    });
  }
}
