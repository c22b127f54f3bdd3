import { EventEmitter } from "node:events";
import {
  GenericNack,
  ReceiverEstimatedMaxBitrate,
  RTP_EXTENSION_URI,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  RtpHeader,
  RtpPacket,
  TransportWideCC,
  serializeTransportWideCC,
  uint16Add,
  wrapRtx,
  type RTCDtlsTransport,
  type RTCRtpSender,
  type RtcpPacket,
} from "werift";
import type { LinkEstimate } from "./linkEstimate.js";
import { LinkEstimator, type DeliveryReport } from "./linkEstimator.js";
import { LinkProbe, type ProbeResult } from "./linkProbe.js";
import { RetransmitBudget, type SentRecord } from "./retransmitBudget.js";
import { twccResults } from "./twccResults.js";

/** The figures behind a receiver's estimate, for the control API and /metrics. */
export interface LinkReport extends LinkEstimate {
  /** What the server sent this receiver over the last 500 ms (media, audio, retransmissions), bit/s. */
  sendBps: number;
  /** Queueing delay behind the last update (one-way delay above its 10 s minimum), ms. */
  queueDelayMs: number;
  /** Packets the receiver asked for again (NACK), resent, and given up on (too old, or no room in the estimate). */
  nackedPackets: number;
  retransmittedPackets: number;
  abandonedPackets: number;
  /** Whether the receiver sends transport-cc feedback (else the estimate runs on receiver reports / REMB). */
  transportCc: boolean;
  /** Whether the receiver sends its own estimate (REMB). */
  remb: boolean;
  /** Probes of the link before a move up (LinkProbe): run, and passed. */
  probes: number;
  probesPassed: number;
  /** The last probe's rate asked for and its result (why it ended, what was sent and delivered), bit/s. */
  lastProbe: { targetBps: number; ok: boolean; reason: string; sentBps: number; deliveredBps: number | null } | null;
}

/** Sends one padding packet of up to `bytes` on the receiver's video stream now: the bytes sent, 0 when it cannot now. */
export type PaddingSender = (bytes: number) => number;

export type LinkMonitorEvents = {
  link: [estimate: LinkEstimate];
  /**
   * Video packets the receiver asked for were given up (too old, or no room in the estimate): a frame of its
   * picture cannot be completed, and only a keyframe helps. At most once per GAVE_UP_SPACING_MS.
   */
  gaveUp: [];
};

export interface LinkMonitorOptions {
  /** How often `link` fires, ms. */
  intervalMs?: number;
  initialBps?: number;
  minBps?: number;
  maxBps?: number;
}

/**
 * The parts of werift 0.24's RTCRtpSender this adapter reads and updates: private in its typings, stable in
 * its code (lib/webrtc/src/media/rtpSender.js). Named here so a werift upgrade breaks in one place.
 */
interface WeriftSenderInternals {
  handleRtcpPacket(packet: RtcpPacket): void;
  readonly onGenericNack: { execute(feedback: GenericNack): void };
  readonly onRtcp: { execute(packet: RtcpPacket): void };
  readonly ssrc: number;
  readonly rtxSsrc: number;
  rtxPayloadType?: number;
  rtxSequenceNumber: number;
  headerExtensions: { id: number; uri: string }[];
  /** Seconds, smoothed, from receiver reports (werift computes it on each RR that answers its last SR). */
  rtt?: number;
  nackCount: number;
  retransmittedPacketsSent: number;
  retransmittedBytesSent: number;
}

interface HistoryEntry {
  readonly seq: number;
  readonly header: RtpHeader;
  readonly payload: Buffer;
  readonly record: SentRecord;
}

/** Video packets kept for retransmission: about 1.5 s of a 1.5 Mbit/s mix (werift keeps 128). */
const HISTORY_SIZE = 2048;
/** transport-cc sequence numbers remembered for feedback (16-bit space; feedback comes within ~100 ms). */
const TWCC_HISTORY_SIZE = 4096;
/** NACKed packets waiting for room in the estimate. */
const MAX_PENDING = 512;
/** How soon a waiting retransmission is reconsidered (pacing step), ms. */
const PACE_STEP_MS = 20;
/**
 * A receiver that lost packets we gave up on gets a keyframe at most this often: sooner than it would ask
 * (Chromium sends its PLI seconds later, once its NACKs time out), rarely enough that keyframes do not fill
 * the link they are meant to heal.
 */
const GAVE_UP_SPACING_MS = 1000;
/**
 * A probe's length: long enough for a rate through a bottleneck's burst, short enough not to overflow its queue
 * before the first feedback can stop it (500 ms into the test's 400 kbit/s link with 200 ms of queue froze the
 * receiver's picture for up to 0.9 s; docs/performance.md), ms.
 */
const PROBE_MS = 300;
/**
 * After a probe, the estimator stays blind this long: the bottleneck's queue (the test's: 200 ms) drains, and
 * the packets behind it arrive late and some lost. 300 ms was too short: the queue's tail still cut the
 * estimate of a 320x180 receiver to 131 kbit/s, below its rung, ms.
 */
const PROBE_DRAIN_MS = 1000;
/** Padding is sent in steps this far apart while a probe runs, ms. */
const PROBE_STEP_MS = 10;
/**
 * At most this many padding packets (of up to 255 bytes: RTP's padding count is one byte) in one step: a 720p
 * probe (2 Mbit/s) needs ~10 a step when the timer is on time, and a busy machine's 20-30 ms late timer must
 * be caught up (12 a step held probes to ~1.2 Mbit/s, and no probe for 720p ever passed), but not in one burst.
 */
const PROBE_STEP_PACKETS = 40;

/**
 * One receiver's link, read from its RTCP on the peer connection's DTLS transport, and the retransmissions to
 * it, taken over from werift.
 *
 * werift's RTCRtpSender answers every generic NACK by itself, resending each listed packet at once from its
 * last 128; into a link already past its capacity that multiplies what is sent (issue 20 measured 550 kbit/s
 * rising to 2.7 Mbit/s into 400 kbit/s). attach() replaces that one branch of the video sender's
 * handleRtcpPacket (everything else still goes to werift's own code) and resends through RetransmitBudget's
 * rules instead, paced against the estimate. Nothing in node_modules is changed.
 *
 * The estimate: every RTP packet leaving the transport is noted (size, transport-cc sequence number, time) by
 * wrapping the transport's sendRtp; the receiver's transport-cc feedback, receiver reports and REMB, tapped from
 * the transport's RTCP, feed a LinkEstimator.
 */
export class LinkMonitor extends EventEmitter<LinkMonitorEvents> {
  private readonly estimator: LinkEstimator;
  private readonly budget = new RetransmitBudget();
  private readonly history: (HistoryEntry | undefined)[] = new Array(HISTORY_SIZE);
  private readonly twccSent: ({ seq: number; bytes: number; sentAtMs: number } | undefined)[] = new Array(TWCC_HISTORY_SIZE);
  private readonly pending = new Set<number>();
  private readonly disposers: (() => void)[] = [];
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private paceTimer: NodeJS.Timeout | undefined;
  private transport: RTCDtlsTransport | undefined;
  private sendRtp: ((payload: Buffer, header: RtpHeader) => Promise<number>) | undefined;
  private video: WeriftSenderInternals | undefined;
  private rttMs: number | undefined;
  private retransmitting = false;
  private sawTransportCc = false;
  private sawRemb = false;
  private closed = false;
  private lastGaveUpMs = -Infinity;
  private lastProbe: LinkReport["lastProbe"] = null;
  /** The send times whose feedback the estimator does not see: the last probe's window and its queue's drain. */
  private probeBlind: { fromMs: number; toMs: number } | undefined;
  private counts = { nacked: 0, retransmitted: 0, abandoned: 0, probes: 0, probesPassed: 0 };
  private probeRun:
    | { probe: LinkProbe; pad: PaddingSender; timer: NodeJS.Timeout | undefined; done: (result: ProbeResult | undefined) => void }
    | undefined;

  constructor(options: LinkMonitorOptions = {}) {
    super();
    this.intervalMs = options.intervalMs ?? 500;
    // Initial: above the mix's 1.5 Mbit/s with its audio, so a good link is never held back before feedback.
    this.estimator = new LinkEstimator({
      initialBps: options.initialBps ?? 2_000_000,
      minBps: options.minBps ?? 50_000,
      maxBps: options.maxBps ?? 4_000_000,
    });
  }

  /** Starts watching, once DTLS is up. `video`: the sender whose NACKs this monitor answers from now on. */
  attach(transport: RTCDtlsTransport, video: RTCRtpSender | undefined): void {
    if (this.closed || this.transport) return;
    this.transport = transport;
    const originalSendRtp = transport.sendRtp.bind(transport);
    this.sendRtp = originalSendRtp;
    transport.sendRtp = (payload: Buffer, header: RtpHeader) => {
      this.noteSent(payload, header);
      return originalSendRtp(payload, header);
    };
    this.disposers.push(() => {
      transport.sendRtp = originalSendRtp;
    });
    // Subscribed after werift's own router (the peer connection subscribes when the transport is made), so the
    // sender's RTT is already updated from the same receiver report when this runs.
    const { unSubscribe } = transport.onRtcp.subscribe((rtcp) => this.rtcp(rtcp));
    this.disposers.push(unSubscribe);
    if (video) this.takeOverNacks(video as unknown as WeriftSenderInternals);
    this.timer = setInterval(() => this.emit("link", this.estimate()), this.intervalMs);
    this.timer.unref();
  }

  estimate(): LinkEstimate {
    return { ...this.estimator.estimate(performance.now()), rttMs: this.rttMs };
  }

  get report(): LinkReport {
    const now = performance.now();
    return {
      ...this.estimate(),
      sendBps: Math.round(this.budget.sendRateBps(now)),
      queueDelayMs: Math.round(this.estimator.lastQueueDelayMs),
      nackedPackets: this.counts.nacked,
      retransmittedPackets: this.counts.retransmitted,
      abandonedPackets: this.counts.abandoned,
      transportCc: this.sawTransportCc,
      remb: this.sawRemb,
      probes: this.counts.probes,
      probesPassed: this.counts.probesPassed,
      lastProbe: this.lastProbe,
    };
  }

  get attached(): boolean {
    return this.transport !== undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.paceTimer);
    this.endProbe(undefined);
    for (const dispose of this.disposers.splice(0)) dispose();
    this.pending.clear();
    this.removeAllListeners();
  }

  private takeOverNacks(video: WeriftSenderInternals): void {
    this.video = video;
    const original = video.handleRtcpPacket;
    // An own property shadows the prototype's method; werift's router calls `recipient.handleRtcpPacket(packet)`.
    video.handleRtcpPacket = (packet: RtcpPacket) => {
      if (packet.type === RtcpTransportLayerFeedback.type && packet.feedback instanceof GenericNack) {
        // What werift does for a NACK, less the immediate resend of every packet.
        video.nackCount++;
        this.nacked(packet.feedback.lost);
        video.onGenericNack.execute(packet.feedback);
        video.onRtcp.execute(packet);
        return;
      }
      original.call(video, packet);
    };
    this.disposers.push(() => {
      delete (video as Partial<WeriftSenderInternals>).handleRtcpPacket;
    });
  }

  private twccExtensionId(): number | undefined {
    return this.video?.headerExtensions.find((e) => e.uri === RTP_EXTENSION_URI.transportWideCC)?.id;
  }

  private noteSent(payload: Buffer, header: RtpHeader): void {
    const now = performance.now();
    // Header plus payload plus SRTP's 10-byte tag: what the link carries, less UDP/IP.
    const bytes = header.serializeSize + payload.length + 10;
    this.budget.noteSent(bytes, now);
    if (this.probeRun?.probe.covers(now)) this.probeRun.probe.noteSent(bytes, now);
    const twccId = this.twccExtensionId();
    const ext = twccId === undefined ? undefined : header.extensions.find((e) => e.id === twccId);
    if (ext && ext.payload.length >= 2) {
      const seq = ext.payload.readUInt16BE(0);
      this.twccSent[seq % TWCC_HISTORY_SIZE] = { seq, bytes, sentAtMs: now };
    }
    if (this.retransmitting || !this.video || header.ssrc !== this.video.ssrc) return;
    const seq = header.sequenceNumber;
    this.history[seq % HISTORY_SIZE] = { seq, header, payload, record: { sentAtMs: now, bytes, retransmissions: 0, lastRetransmitMs: 0 } };
  }

  private rtcp(rtcp: RtcpPacket): void {
    if (this.closed) return;
    const now = performance.now();
    if (rtcp instanceof RtcpTransportLayerFeedback && rtcp.feedback instanceof TransportWideCC) {
      this.sawTransportCc = true;
      const reports: DeliveryReport[] = [];
      for (const result of twccResults(rtcp.feedback)) {
        const sent = this.twccSent[result.seq % TWCC_HISTORY_SIZE];
        if (!sent || sent.seq !== result.seq) continue;
        reports.push({ bytes: sent.bytes, sentAtMs: sent.sentAtMs, arrivedAtMs: result.arrivedAtMs });
      }
      // The probe's own packets, and those its queue delays, are the probe's to judge: a failed probe must not
      // also cut the estimate (it did, to below the lowest rung, pausing the video for 4 s).
      const blind = this.probeBlind;
      const forEstimate = blind ? reports.filter((r) => r.sentAtMs < blind.fromMs || r.sentAtMs > blind.toMs) : reports;
      if (forEstimate.length > 0) this.estimator.deliveries(forEstimate, now);
      const run = this.probeRun;
      if (run) {
        run.probe.deliveries(
          reports.filter((r) => run.probe.covers(r.sentAtMs)),
          this.estimator.baseDelay,
        );
        this.checkProbe();
      }
    } else if (rtcp instanceof RtcpPayloadSpecificFeedback && rtcp.feedback instanceof ReceiverEstimatedMaxBitrate) {
      this.sawRemb = true;
      this.estimator.receiverEstimate(Number(rtcp.feedback.bitrate), now);
    } else if ((rtcp instanceof RtcpRrPacket || rtcp instanceof RtcpSrPacket) && this.video) {
      const report = rtcp.reports.find((r) => r.ssrc === this.video!.ssrc);
      if (!report) return;
      if (this.video.rtt !== undefined) this.rttMs = Math.round(this.video.rtt * 1000);
      this.estimator.receiverReport(report.fractionLost / 256, this.rttMs, now);
    }
  }

  private nacked(lost: readonly number[]): void {
    for (const seq of lost) {
      this.counts.nacked++;
      if (this.pending.size >= MAX_PENDING) {
        this.counts.abandoned++;
        continue;
      }
      this.pending.add(seq);
    }
    this.pace();
  }

  /** Resends what the budget allows now, gives up what is too old, and comes back for the rest. */
  private pace(): void {
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
    if (this.closed) return;
    const now = performance.now();
    const { availableBps } = this.estimator.estimate(now);
    const abandonedBefore = this.counts.abandoned;
    for (const seq of this.pending) {
      const entry = this.history[seq % HISTORY_SIZE];
      if (!entry || entry.seq !== seq) {
        this.pending.delete(seq);
        this.counts.abandoned++;
        continue;
      }
      const decision = this.budget.decide(entry.record, availableBps, this.rttMs, now);
      if (decision === "wait") continue;
      this.pending.delete(seq);
      if (decision === "give-up") this.counts.abandoned++;
      if (decision === "send") this.resend(entry, now);
    }
    if (this.counts.abandoned > abandonedBefore && now - this.lastGaveUpMs >= GAVE_UP_SPACING_MS) {
      this.lastGaveUpMs = now;
      this.emit("gaveUp");
    }
    if (this.pending.size > 0) {
      this.paceTimer = setTimeout(() => this.pace(), PACE_STEP_MS);
      this.paceTimer.unref();
    }
  }

  private resend(entry: HistoryEntry, now: number): void {
    entry.record.retransmissions++;
    entry.record.lastRetransmitMs = now;
    const video = this.video;
    const sentBytes = this.sendCopy(entry);
    if (sentBytes === undefined || !video) return;
    video.retransmittedPacketsSent++;
    video.retransmittedBytesSent += sentBytes;
    this.counts.retransmitted++;
  }

  /** Sends a packet of the history again (on RTX when negotiated), with a fresh transport-cc number: its payload's bytes, undefined when there is nothing to send on. */
  private sendCopy(entry: HistoryEntry): number | undefined {
    const video = this.video;
    const transport = this.transport;
    if (!video || !transport || !this.sendRtp) return undefined;
    // A fresh transport-cc number, so the receiver's feedback on the copy is told apart from the original.
    const twccId = this.twccExtensionId();
    const extensions = entry.header.extensions.map((e) => {
      if (e.id !== twccId) return { ...e };
      transport.transportSequenceNumber = uint16Add(transport.transportSequenceNumber, 1);
      return { id: e.id, payload: serializeTransportWideCC(transport.transportSequenceNumber) };
    });
    let packet = new RtpPacket(new RtpHeader({ ...entry.header, extensions }), entry.payload);
    if (video.rtxPayloadType !== undefined) {
      packet = wrapRtx(packet, video.rtxPayloadType, video.rtxSequenceNumber, video.rtxSsrc);
      video.rtxSequenceNumber = uint16Add(video.rtxSequenceNumber, 1);
    }
    this.retransmitting = true;
    try {
      void transport.sendRtp(packet.payload, packet.header).catch(() => undefined);
    } finally {
      this.retransmitting = false;
    }
    return packet.payload.length;
  }

  /**
   * Sends at `targetBps` (everything on the connection) for a short window, padding what the media leaves with
   * RTP padding-only packets that `pad` puts into the video stream (copies of media packets will not do: without
   * RTX they repeat a sequence number, and the receiver's SRTP replay check drops them unreported), and reports
   * whether the link carried it (LinkProbe). A passing probe raises the estimate to what the receiver got.
   * Resolves undefined when no probe can run: not connected, or no transport-cc feedback from this receiver
   * (nothing to judge by), or a probe already running.
   */
  probe(targetBps: number, neededBps: number, pad: PaddingSender): Promise<ProbeResult | undefined> {
    if (this.closed || !this.transport || !this.sawTransportCc || this.probeRun) return Promise.resolve(undefined);
    this.counts.probes++;
    const startMs = performance.now();
    const probe = new LinkProbe({ targetBps, neededBps, startMs, durationMs: PROBE_MS });
    this.probeBlind = { fromMs: startMs, toMs: startMs + PROBE_MS + PROBE_DRAIN_MS };
    return new Promise((resolve) => {
      this.probeRun = { probe, pad, timer: undefined, done: resolve };
      this.probeStep();
    });
  }

  private probeStep(): void {
    const run = this.probeRun;
    if (!run || this.closed) return;
    run.timer = undefined;
    const now = performance.now();
    for (let i = 0; i < PROBE_STEP_PACKETS; i++) {
      const due = run.probe.paddingDue(now);
      // Nothing sent: mid-frame (padding goes between frames) or no media yet; the next step tries again.
      if (due <= 0 || run.pad(due) === 0) break;
    }
    if (this.checkProbe()) return;
    run.timer = setTimeout(() => this.probeStep(), run.probe.sending(now) ? PROBE_STEP_MS : 50);
    run.timer.unref();
  }

  /** Ends the probe when its verdict is in; true when it ended. */
  private checkProbe(): boolean {
    const run = this.probeRun;
    if (!run) return true;
    const result = run.probe.verdict(performance.now(), this.rttMs);
    if (!result) return false;
    this.lastProbe = {
      targetBps: Math.round(run.probe.options.targetBps),
      ok: result.ok,
      reason: result.reason,
      sentBps: Math.round(result.sentBps),
      deliveredBps: result.deliveredBps === undefined ? null : Math.round(result.deliveredBps),
    };
    if (result.ok && result.deliveredBps !== undefined) {
      this.counts.probesPassed++;
      this.estimator.probed(result.deliveredBps);
    }
    this.endProbe(result);
    return true;
  }

  private endProbe(result: ProbeResult | undefined): void {
    const run = this.probeRun;
    if (!run) return;
    this.probeRun = undefined;
    clearTimeout(run.timer);
    run.done(result);
  }
}
