import { afterEach, describe, expect, it } from "vitest";
import {
  DtlsClient,
  MediaStreamTrack,
  RTCPeerConnection,
  RtcpPacketConverter,
  RtcpTransportLayerFeedback,
  RtpHeader,
  RtpPacket,
  TransportWideCC,
  useTransportWideCC,
  useTWCC,
  useVP8,
  type RunLengthChunk,
  type Transport,
} from "werift";
import { disableImplicitStun } from "../../src/peers/noDefaultStun.js";
import {
  AttackSocket,
  garbage,
  seededRandom,
  plaintextCloseNotify,
  plaintextFinished,
  rtpExtensionPastTheEnd,
  stunBindingWithoutIntegrity,
  truncatedHelloVerifyRequest,
} from "../helpers/udpAttacks.js";

/**
 * One test per fix in patches/werift+0.24.4.patch, each written against werift's own objects so it can go
 * upstream with its fix. Each failed on werift 0.24.4 as published (docs/reliability.md, "From the network: UDP").
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The reasons an object's drop event (the patch's onPacketDropped / onRecordDropped) reports. Subscribed only
 * where the event exists, so that on werift as published the tests fail on what the attack does, not on the
 * missing event.
 */
function dropsOf(event: unknown): string[] {
  const reasons: string[] = [];
  (event as { subscribe(f: (reason: string) => void): unknown } | undefined)?.subscribe((reason) => reasons.push(reason));
  return reasons;
}

// DtlsSocket's internals the tests drive, as werift's own tests do (the fields are private in its types).
interface DtlsInternals {
  udpOnMessage(data: Buffer): void;
  bufferFragmentedHandshakes: unknown[];
  onRecordDropped?: unknown;
  onError: { subscribe(f: (e: unknown) => void): unknown };
  onConnect: { subscribe(f: () => void): unknown };
  onClose: { subscribe(f: () => void): unknown };
  dtls: { flight: number };
}

describe("RtpHeader.deSerialize", () => {
  it("refuses a header extension longer than the packet instead of walking 64,000 bytes past its end", () => {
    expect(() => RtpHeader.deSerialize(rtpExtensionPastTheEnd())).toThrow(/longer than the packet/);
  });

  it("still reads one-byte and two-byte extensions that fit", () => {
    // One-byte (0xBEDE): id 1 with 2 bytes, padding, id 3 with 1 byte; two words.
    const h = RtpHeader.deSerialize(Buffer.from("906000010000000200000003" + "bede0002" + "11aabb00" + "30cc0000", "hex"));
    expect(h.extensions.map((e) => [e.id, e.payload.toString("hex")])).toEqual([
      [1, "aabb"],
      [3, "cc"],
    ]);
    // Two-byte (0x1000): id 7 with 3 bytes; two words.
    const twoByte = Buffer.from("906000010000000200000003" + "10000002" + "0703ddeeff000000", "hex");
    expect(RtpHeader.deSerialize(twoByte).extensions.map((e) => [e.id, e.payload.toString("hex")])).toEqual([[7, "ddeeff"]]);
  });
});

describe("ICE: a connected pair of werift peers, and an outsider", () => {
  const pcs: RTCPeerConnection[] = [];
  const attackers: AttackSocket[] = [];
  const afterCleanups: (() => void)[] = [];
  afterEach(async () => {
    afterCleanups.splice(0).forEach((f) => f());
    attackers.splice(0).forEach((a) => a.close());
    await Promise.all(pcs.splice(0).map((pc) => pc.close()));
  });

  async function connectedPair(
    track?: MediaStreamTrack,
  ): Promise<{ offerer: RTCPeerConnection; answerer: RTCPeerConnection; answererPort: number; answererUfrag: string }> {
    const make = () => {
      const pc = new RTCPeerConnection({
        iceUseIpv4: false,
        iceUseIpv6: false,
        iceAdditionalHostAddresses: ["127.0.0.1"],
        iceInterfaceAddresses: { udp4: "127.0.0.1" },
        iceServers: [],
      });
      pcs.push(pc);
      return pc;
    };
    const offerer = make();
    const answerer = make();
    offerer.addTransceiver(track ?? "audio", { direction: "sendrecv" });
    const offer = await offerer.createOffer();
    disableImplicitStun(offerer, false);
    await offerer.setLocalDescription(offer);
    await answerer.setRemoteDescription(offerer.localDescription!);
    const answer = await answerer.createAnswer();
    disableImplicitStun(answerer, false);
    await answerer.setLocalDescription(answer);
    await offerer.setRemoteDescription(answerer.localDescription!);
    await Promise.all(
      [offerer, answerer].map((pc) =>
        pc.connectionState === "connected" ? undefined : pc.connectionStateChange.watch((s) => s === "connected", 10_000),
      ),
    );
    const sdp = answerer.localDescription!.sdp;
    const answererPort = Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(sdp)![1]);
    const answererUfrag = /a=ice-ufrag:(\S+)/.exec(sdp)![1];
    return { offerer, answerer, answererPort, answererUfrag };
  }

  it("answers no STUN check without a valid MESSAGE-INTEGRITY and keeps no peer-reflexive candidate for it", async () => {
    const { answerer, answererPort, answererUfrag } = await connectedPair();
    const connection = answerer.dtlsTransports[0].iceTransport.connection;
    const dropped = dropsOf(connection.onPacketDropped);
    const remoteBefore = connection.remoteCandidates.length;
    const sockets = await Promise.all(Array.from({ length: 20 }, () => AttackSocket.open()));
    attackers.push(...sockets);
    for (const [i, s] of sockets.entries()) {
      // The right ufrag (it is in the SDP an attacker may have seen), no MESSAGE-INTEGRITY.
      await s.send(stunBindingWithoutIntegrity(`${answererUfrag}:x${i}`, Buffer.alloc(12, i)), answererPort);
      // A MESSAGE-INTEGRITY that does not verify.
      const forged = Buffer.concat([
        stunBindingWithoutIntegrity(`${answererUfrag}:y${i}`, Buffer.alloc(12, 100 + i)),
        Buffer.from("00080014" + "00".repeat(20), "hex"),
      ]);
      forged.writeUInt16BE(forged.length - 20, 2);
      await s.send(forged, answererPort);
    }
    await sleep(1000);
    expect(
      sockets.reduce((n, s) => n + s.datagramsReceived, 0),
      "datagrams sent back",
    ).toBe(0);
    expect(connection.remoteCandidates.length, "remote candidates").toBe(remoteBefore);
    expect(answerer.connectionState).toBe("connected");
    expect(dropped.filter((r) => r === "stun-unauthenticated").length).toBe(40);
  });

  it("takes DTLS and SRTP only from the validated pair's address: an outsider's close_notify, HelloVerifyRequest and RTP are dropped", async () => {
    const { offerer, answerer, answererPort } = await connectedPair();
    const connection = answerer.dtlsTransports[0].iceTransport.connection;
    const dropped = dropsOf(connection.onPacketDropped);
    const a = await AttackSocket.open();
    attackers.push(a);
    for (const d of [plaintextCloseNotify(), truncatedHelloVerifyRequest(), plaintextFinished(), rtpExtensionPastTheEnd()])
      await a.send(d, answererPort);
    await sleep(1000);
    expect(answerer.dtlsTransports[0].state).toBe("connected");
    expect(offerer.connectionState).toBe("connected");
    expect(dropped).toEqual(["unknown-source", "unknown-source", "unknown-source", "unknown-source"]);
  });

  it("drops an epoch-0 record once the handshake is over, even from the peer's own address (a plaintext close_notify ended the session)", async () => {
    const { answerer } = await connectedPair();
    const dtls = answerer.dtlsTransports[0];
    const socket = dtls.dtls as unknown as DtlsInternals;
    const dropped = dropsOf(socket.onRecordDropped);
    socket.udpOnMessage(plaintextCloseNotify());
    socket.udpOnMessage(truncatedHelloVerifyRequest());
    await sleep(200);
    expect(dtls.state).toBe("connected");
    expect(dropped).toEqual(["dtls-unauthenticated", "dtls-unauthenticated"]);
  });
  it("survives 3,000 garbage datagrams from the validated peer's own address: each dropped, the session and its media go on", async () => {
    const track = new MediaStreamTrack({ kind: "audio" });
    let received = 0;
    const { answerer } = await connectedPairReceiving(track, () => received++);
    const connection = answerer.dtlsTransports[0].iceTransport.connection;
    const dropped = dropsOf(answerer.dtlsTransports[0].onPacketDropped);
    const random = seededRandom(7);
    const kinds = ["dtls", "rtp", "rtcp"] as const;
    let thrown = 0;
    for (let i = 0; i < 3000; i++) {
      // What the ICE agent hands on for a validated address (its own handler catches what a subscriber throws).
      try {
        connection.onData.execute(i % 500 === 0 ? rtpExtensionPastTheEnd() : garbage(kinds[i % 3], random));
      } catch {
        thrown++;
      }
      if (i % 250 === 0) await sleep(5);
    }
    const before = received;
    await sleep(600);
    expect(answerer.dtlsTransports[0].state).toBe("connected");
    expect(received - before, "RTP still received after the garbage").toBeGreaterThan(10);
    expect(thrown, "exceptions out of werift's handlers").toBe(0);
    expect(dropped.length).toBeGreaterThan(1000);
  });

  async function connectedPairReceiving(track: MediaStreamTrack, onRtp: () => void) {
    const pair = await connectedPair(track);
    pair.answerer.getTransceivers()[0].receiver.tracks.forEach((t) => t.onReceiveRtp.subscribe(onRtp));
    pair.answerer.onTrack.subscribe((t) => t.onReceiveRtp.subscribe(onRtp));
    let seq = 0;
    const timer = setInterval(() => {
      track.writeRtp(
        new RtpPacket(
          new RtpHeader({ payloadType: 111, sequenceNumber: seq++ & 0xffff, timestamp: seq * 960, ssrc: 1234, marker: false }),
          Buffer.alloc(20, 1),
        ).serialize(),
      );
    }, 10);
    afterCleanups.push(() => clearInterval(timer));
    return pair;
  }
});

describe("DtlsClient during its handshake", () => {
  function client(): { socket: DtlsInternals; sent: Buffer[]; events: string[]; dropped: string[] } {
    const sent: Buffer[] = [];
    const transport = {
      type: "test",
      address: {},
      closed: false,
      onData: () => undefined,
      send: async (b: Buffer) => void sent.push(b),
      close: async () => undefined,
    } as unknown as Transport;
    const dtls = new DtlsClient({ transport, srtpProfiles: [], extendedMasterSecret: true });
    const socket = dtls as unknown as DtlsInternals;
    const events: string[] = [];
    const dropped = dropsOf(socket.onRecordDropped);
    socket.onConnect.subscribe(() => events.push("connect"));
    socket.onError.subscribe(() => events.push("error"));
    socket.onClose.subscribe(() => events.push("close"));
    void dtls.connect();
    return { socket, sent, events, dropped };
  }

  it("takes no plaintext Finished as the end of the handshake (a spray of them failed every join)", async () => {
    const { socket, events, dropped } = client();
    await sleep(50);
    socket.udpOnMessage(plaintextFinished());
    await sleep(50);
    expect(events).toEqual([]);
    expect(dropped).toEqual(["dtls-unauthenticated"]);
  });

  it("drops a truncated HelloVerifyRequest instead of failing, and still takes a good one", async () => {
    const { socket, sent, events, dropped } = client();
    await sleep(50);
    const hellos = sent.length;
    socket.udpOnMessage(truncatedHelloVerifyRequest());
    await sleep(50);
    expect(events).toEqual([]);
    expect(dropped).toEqual(["dtls-malformed"]);
    // A well-formed one: version fefd, an 8-byte cookie. The client sends its ClientHello again with it.
    const body = Buffer.from("fefd08" + "0102030405060708", "hex");
    const hs = Buffer.concat([Buffer.from([3, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, body.length]), body]);
    const record = Buffer.concat([Buffer.from("16fefd0000000000000000", "hex"), Buffer.from([0, hs.length]), hs]);
    socket.udpOnMessage(record);
    await sleep(100);
    expect(events).toEqual([]);
    expect(sent.length).toBeGreaterThan(hellos);
    expect(socket.dtls.flight).toBe(3);
    // A second one now is stray: dropped, not fatal (werift threw from Flight3 and failed the transport).
    socket.udpOnMessage(record);
    await sleep(50);
    expect(events).toEqual([]);
  });

  it("buffers at most 64 handshake fragments of a message that never completes (25.5 MiB sent kept 26 MiB)", async () => {
    const { socket, dropped } = client();
    for (let i = 0; i < 200; i++) {
      const body = Buffer.alloc(1000, 0x5a);
      const hs = Buffer.alloc(12);
      hs.writeUInt8(11, 0);
      hs.writeUIntBE(60_000, 1, 3);
      hs.writeUIntBE(i * 100, 6, 3);
      hs.writeUIntBE(body.length, 9, 3);
      const record = Buffer.alloc(13);
      record.writeUInt8(22, 0);
      record.writeUInt16BE(0xfefd, 1);
      record.writeUIntBE(i, 5, 6);
      record.writeUInt16BE(hs.length + body.length, 11);
      socket.udpOnMessage(Buffer.concat([record, hs, body]));
    }
    expect(socket.bufferFragmentedHandshakes.length).toBeLessThanOrEqual(64);
    expect(dropped.filter((r) => r === "dtls-fragment-limit").length).toBeGreaterThanOrEqual(136);
  });
});

describe("transport-cc feedback from a werift receiver", () => {
  const pcs: RTCPeerConnection[] = [];
  afterEach(async () => {
    await Promise.all(pcs.splice(0).map((pc) => pc.close()));
  });

  /** A VP8 sender and receiver negotiating transport-cc, as the server's peers do. */
  async function videoPair(): Promise<{ sender: RTCPeerConnection; receiver: RTCPeerConnection; track: MediaStreamTrack }> {
    const make = () => {
      const vp8 = useVP8();
      // No NACK: a retransmission would fill the gaps the test makes.
      vp8.rtcpFeedback = [useTWCC()];
      const pc = new RTCPeerConnection({
        iceUseIpv4: false,
        iceUseIpv6: false,
        iceAdditionalHostAddresses: ["127.0.0.1"],
        iceInterfaceAddresses: { udp4: "127.0.0.1" },
        iceServers: [],
        codecs: { video: [vp8] },
        headerExtensions: { video: [useTransportWideCC()] },
      });
      pcs.push(pc);
      return pc;
    };
    const sender = make();
    const receiver = make();
    const track = new MediaStreamTrack({ kind: "video" });
    sender.addTransceiver(track, { direction: "sendonly" });
    await sender.setLocalDescription(await sender.createOffer());
    await receiver.setRemoteDescription(sender.localDescription!);
    await receiver.setLocalDescription(await receiver.createAnswer());
    await sender.setRemoteDescription(receiver.localDescription!);
    await Promise.all(
      [sender, receiver].map((pc) =>
        pc.connectionState === "connected" ? undefined : pc.connectionStateChange.watch((s) => s === "connected", 10_000),
      ),
    );
    return { sender, receiver, track };
  }

  /** Each packet's arrival as one feedback reports it (ms on the feedback's clock), or null when reported lost. */
  function reportedArrivals(feedback: TransportWideCC): Map<number, number | null> {
    const out = new Map<number, number | null>();
    let atUs = feedback.referenceTime * 64_000;
    let deltaIndex = 0;
    let seq = feedback.baseSequenceNumber;
    for (const chunk of feedback.packetChunks as RunLengthChunk[]) {
      for (let i = 0; i < chunk.runLength; i++, seq = (seq + 1) & 0xffff) {
        if (chunk.packetStatus === 0) out.set(seq, null);
        else out.set(seq, (atUs += feedback.recvDeltas[deltaIndex++].delta) / 1000);
      }
    }
    return out;
  }

  it("reports every packet once, lost ones as lost, across the 16-bit wrap, with arrival times true to 1 ms and a well-formed length", async () => {
    const { sender, receiver, track } = await videoPair();
    const dtls = sender.dtlsTransports[0] as unknown as { transportSequenceNumber: number; sendRtp: (...args: unknown[]) => unknown };
    dtls.transportSequenceNumber = 65_400; // the stream crosses the wrap
    const wireSeqs: number[] = [];
    const dropped = new Set<number>();
    const sendRtp = dtls.sendRtp.bind(dtls);
    dtls.sendRtp = (...args: unknown[]) => {
      // Every 17th packet is lost on the way (its transport-cc number is already written).
      const seq = dtls.transportSequenceNumber;
      wireSeqs.push(seq);
      if (wireSeqs.length % 17 === 0) {
        dropped.add(seq);
        return Promise.resolve(0);
      }
      return sendRtp(...args);
    };
    const arrivedAt = new Map<number, number>();
    receiver.getTransceivers()[0].receiver.tracks.forEach((t) =>
      t.onReceiveRtp.subscribe((rtp) => {
        const ext = rtp.header.extensions.find((e) => e.id === 1);
        if (ext) arrivedAt.set(ext.payload.readUInt16BE(0), performance.now());
      }),
    );
    const feedback: { bytes: Buffer; twcc: TransportWideCC }[] = [];
    const receiverDtls = receiver.dtlsTransports[0] as unknown as { sendRtcp: (packets: RtcpTransportLayerFeedback[]) => Promise<unknown> };
    const sendRtcp = receiverDtls.sendRtcp.bind(receiverDtls);
    receiverDtls.sendRtcp = (packets) => {
      for (const p of packets)
        if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof TransportWideCC)
          feedback.push({ bytes: p.serialize(), twcc: p.feedback });
      return sendRtcp(packets);
    };
    for (let i = 0; i < 300; i++) {
      // Packets in bursts (a frame's packets together), 33 ms apart: arrival spacing the feedback must keep.
      track.writeRtp(
        new RtpPacket(
          new RtpHeader({ payloadType: 96, sequenceNumber: i, timestamp: Math.floor(i / 3) * 3000, ssrc: 4321, marker: i % 3 === 2 }),
          Buffer.alloc(600, i),
        ),
      );
      if (i % 3 === 2) await sleep(33);
    }
    await sleep(300);
    expect(feedback.length, "feedback packets").toBeGreaterThan(5);
    const reported = new Map<number, number | null>();
    for (const { bytes, twcc } of feedback) {
      expect(bytes.length % 4, "feedback length is whole 32-bit words").toBe(0);
      const parsed = RtcpPacketConverter.deSerialize(bytes);
      expect(parsed.length, "one RTCP packet, its length field true").toBe(1);
      // Read back as the browser reads it: the bytes, not the object that made them.
      const wire = (parsed[0] as RtcpTransportLayerFeedback).feedback as TransportWideCC;
      expect(wire.packetStatusCount).toBe(twcc.packetStatusCount);
      for (const [seq, at] of reportedArrivals(wire)) {
        expect(reported.has(seq), `packet ${seq} reported twice`).toBe(false);
        reported.set(seq, at);
      }
    }
    const lost = [...reported].filter(([, at]) => at === null).map(([seq]) => seq);
    // The last packets may still await their feedback; every reported loss is a real one.
    for (const seq of lost) expect(dropped.has(seq), `packet ${seq} reported lost`).toBe(true);
    expect(lost.length).toBeGreaterThanOrEqual(dropped.size - 1);
    expect([...reported.keys()].some((s) => s < 100) && [...reported.keys()].some((s) => s > 65_000), "crossed the wrap").toBe(true);
    // Reported arrival minus the time the packet reached the track: constant within a millisecond or two
    // (as published, each feedback's first arrival was off by up to 64 ms).
    const offsets = [...reported].flatMap(([seq, at]) => (at === null || !arrivedAt.has(seq) ? [] : [at - arrivedAt.get(seq)!]));
    expect(offsets.length).toBeGreaterThan(200);
    expect(Math.max(...offsets) - Math.min(...offsets), "spread of reported arrival times (ms)").toBeLessThan(4);
  });
});
