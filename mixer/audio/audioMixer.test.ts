import { afterEach, describe, expect, it } from "vitest";
import { RtpHeader, RtpPacket } from "werift";
import { tonePackets } from "../../test/helpers/fixtures.js";
import { FaultBoundary } from "../faults.js";
import { AudioMixer } from "./audioMixer.js";
import { FRAME_SAMPLES, OPUS_RATE, OpusDecoder } from "./opusCodec.js";
import { DEFAULT_TALKER_SELECTION, type TalkerSelectionOptions } from "./talkerSelector.js";

/**
 * The amplitude (16-bit peak) of one frequency in a 20 ms block, Hann-windowed so that a tone 200 Hz away
 * does not leak into it: an 8000-peak tone filling the block measures 8000.
 */
function amplitude(frame: Int16Array, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / OPUS_RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < frame.length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (frame.length - 1));
    const s0 = frame[i] * w + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // The Hann window halves a steady tone's Goertzel magnitude: 4/N instead of 2/N.
  return (4 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2))) / frame.length;
}

/** Heard: a quarter of the tone's amplitude or more (it is mixed with up to two others at 48 kbit/s). */
const HEARD = 2000;
/**
 * Not heard: under 15 % of it. Where others' tones start abruptly (these do; voices rarely), Opus spreads
 * the click across frequencies and a listener's own frequency measured up to 780; their own voice leaking
 * for 6.5 ms, as it would without the mixer's hold on leaving (LEAVE_HOLD_TICKS = 0), measured 2340.
 */
const ABSENT = 1200;
const TALK_DBOV = -15;
const SILENT_DBOV = -127;

interface Listener {
  /** One decoded frame per tick, by tick index. */
  readonly frames: Map<number, Int16Array>;
  /** The Opus payload of each tick's packet. */
  readonly payloads: Map<number, string>;
  readonly sequences: number[];
}

/** A room's audio mixer on a virtual 20 ms clock: each tick, one packet from every sender, then the mix. */
class Room {
  readonly mixer: AudioMixer;
  readonly listeners = new Map<string, Listener>();
  private readonly decoders: OpusDecoder[] = [];
  readonly mutes = new Map<string, { audioMuted: boolean; videoMuted: boolean }>();
  private readonly sounds = new Map<string, { packets: Buffer[]; dbov: number | undefined }>();
  tick = 0;

  constructor(senders: Record<string, number>, viewers: string[] = [], selection: TalkerSelectionOptions = DEFAULT_TALKER_SELECTION) {
    this.mixer = new AudioMixer(
      48_000,
      new FaultBoundary((err) => {
        throw err;
      }),
      selection,
    );
    for (const [id, hz] of Object.entries(senders)) {
      // Each sender's mutes, as the room keeps them: the mixer reads this record, nobody tells it of a change.
      this.mutes.set(id, { audioMuted: false, videoMuted: false });
      this.mixer.addInput(id, { mutes: this.mutes.get(id) });
      this.listen(id, id);
      this.sounds.set(id, { packets: tonePackets(hz, 0), dbov: SILENT_DBOV });
      toneOf.set(id, hz);
    }
    for (const id of viewers) this.listen(id, undefined);
  }

  /** What a sender sends from now on: its tone (marked as speech), or silence (marked silent). `dbov` null: no level at all. */
  say(id: string, talking: boolean, dbov: number | null = talking ? TALK_DBOV : SILENT_DBOV): void {
    // The tone as loud as its stamp says: 8000 peak is about -15 dBov.
    const amplitude = talking ? Math.round(8000 * 10 ** (((dbov ?? TALK_DBOV) - TALK_DBOV) / 20)) : 0;
    this.sounds.set(id, { packets: tonePackets(toneOf.get(id)!, amplitude), dbov: dbov ?? undefined });
  }

  /** `owner` shares a screen whose sound is a steady `hz` tone (no level stamped, as a tab's). */
  share(owner: string, hz: number): string {
    const id = `screen:${owner}`;
    this.mixer.addInput(id, { ownedBy: owner });
    this.sounds.set(id, { packets: tonePackets(hz, 8000), dbov: undefined });
    toneOf.set(id, hz);
    return id;
  }

  /** The virtual time of a tick (and of the packets pushed just before it). */
  at(tick: number): number {
    return tick * 20;
  }

  run(ms: number): void {
    for (const end = this.tick + ms / 20; this.tick < end; this.tick++) {
      const now = this.at(this.tick);
      let i = 0;
      for (const [id, sound] of this.sounds) {
        const header = new RtpHeader({
          payloadType: 111,
          sequenceNumber: this.tick,
          timestamp: this.tick * FRAME_SAMPLES,
          ssrc: 100 + i++,
          marker: false,
        });
        this.mixer.pushRtp(id, new RtpPacket(header, sound.packets[this.tick % sound.packets.length]), sound.dbov, now);
      }
      this.mixer.poll(now);
      this.mixer.mixTick(this.tick, now);
    }
  }

  close(): void {
    this.mixer.close();
    for (const d of this.decoders) d.close();
  }

  private listen(id: string, own: string | undefined): void {
    const decoder = new OpusDecoder();
    this.decoders.push(decoder);
    const listener: Listener = { frames: new Map(), payloads: new Map(), sequences: [] };
    this.listeners.set(id, listener);
    this.mixer.addOutput(id, own, (bytes) => {
      const packet = RtpPacket.deSerialize(bytes);
      listener.sequences.push(packet.header.sequenceNumber);
      listener.payloads.set(this.tick, packet.payload.toString("hex"));
      const pcm = decoder.decode(packet.payload);
      if (pcm) listener.frames.set(this.tick, pcm);
    });
  }
}

const toneOf = new Map<string, number>();
const rooms: Room[] = [];
const room = (senders: Record<string, number>, viewers?: string[], selection?: TalkerSelectionOptions) => {
  const r = new Room(senders, viewers, selection);
  rooms.push(r);
  return r;
};
afterEach(() => rooms.splice(0).forEach((r) => r.close()));

/** The ticks in [from, to) at which `listener` heard `hz`. */
function heardAt(r: Room, listener: string, hz: number, from: number, to: number): number[] {
  const ticks: number[] = [];
  for (const [tick, frame] of r.listeners.get(listener)!.frames)
    if (tick >= from && tick < to && amplitude(frame, hz) > HEARD) ticks.push(tick);
  return ticks;
}

/**
 * The loudest `listener` ever heard their own tone, in Hann windows of 20 ms sliding 5 ms at a time over
 * everything they received: a leak straddling two packets (an Opus packet carries the last 6.5 ms of the
 * frame before it) is caught whole, as one frame-aligned window, weak at its edges, would not catch it.
 */
function loudestSelf(r: Room, listener: string): number {
  const frames = [...r.listeners.get(listener)!.frames].sort(([a], [b]) => a - b).map(([, f]) => f);
  const all = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((f, i) => all.set(f, i * FRAME_SAMPLES));
  let max = 0;
  for (let at = 0; at + FRAME_SAMPLES <= all.length; at += FRAME_SAMPLES / 4)
    max = Math.max(max, amplitude(all.subarray(at, at + FRAME_SAMPLES), toneOf.get(listener)!));
  return max;
}

const SIX = { a: 440, b: 660, c: 1000, d: 1400, e: 1800, f: 2200 };

describe("talkers-only audio mixer", () => {
  it("six senders, two talking: decodes and mixes two, one everyone-mix encoding shared by all who are not in it", () => {
    const r = room(SIX, ["viewer"]);
    r.say("a", true);
    r.say("b", true);
    r.run(1000);
    expect(r.mixer.stats).toMatchObject({ inputsDecoded: 2, inputsMixed: 2, encodings: 3, packetsDecoded: 100 });
    expect(r.mixer.stats.packetsSkipped).toBe(4 * 50);

    const from = r.tick - 25;
    for (const id of ["c", "d", "e", "f", "viewer"]) {
      // The very same bytes, tick after tick: one encode for all of them.
      for (let t = from; t < r.tick; t++)
        expect(r.listeners.get(id)!.payloads.get(t), `${id} at tick ${t}`).toBe(r.listeners.get("viewer")!.payloads.get(t));
      expect(heardAt(r, id, 440, from, r.tick)).toHaveLength(25);
      expect(heardAt(r, id, 660, from, r.tick)).toHaveLength(25);
    }
    expect(heardAt(r, "a", 660, from, r.tick)).toHaveLength(25);
    expect(heardAt(r, "b", 440, from, r.tick)).toHaveLength(25);
    expect(r.listeners.get("a")!.payloads.get(from)).not.toBe(r.listeners.get("viewer")!.payloads.get(from));
    for (const id of Object.keys(SIX)) expect(loudestSelf(r, id), `${id} hears themselves`).toBeLessThan(ABSENT);
  });

  it("mixes only the three loudest of four talkers; the fourth hears those three", () => {
    const r = room({ a: 440, b: 660, c: 1000, d: 1400 });
    r.say("a", true);
    r.say("b", true);
    r.say("c", true, -20);
    r.say("d", true, -30);
    r.run(1000);
    expect(r.mixer.stats).toMatchObject({ inputsDecoded: 4, inputsMixed: 3, encodings: 4 });
    const from = r.tick - 25;
    for (const hz of [440, 660, 1000]) expect(heardAt(r, "d", hz, from, r.tick)).toHaveLength(25);
    for (const id of ["a", "b", "c"]) expect(heardAt(r, id, 1400, from, r.tick)).toEqual([]);
    expect(heardAt(r, "a", 660, from, r.tick)).toHaveLength(25);
    expect(heardAt(r, "a", 1000, from, r.tick)).toHaveLength(25);
  });

  it("a talker who starts speaking is heard within 100 ms, and never by themselves", () => {
    const r = room(SIX, ["viewer"]);
    r.say("a", true);
    r.run(1000);
    const start = r.tick;
    r.say("c", true);
    r.run(500);
    const first = heardAt(r, "viewer", 1000, start, r.tick)[0];
    // The first packet marked as speech is pushed just before tick `start`; the tick that first carries its
    // sound is what everyone who hears c gets at that moment (each packet leaves on its tick).
    // 40 ms here: the input's fifo holds the first two packets back (its jitter prefill), then c is mixed on the
    // very tick its sound is there. The network and the listener's jitter buffer add theirs on top.
    const delayMs = r.at(first) - r.at(start);
    expect(delayMs).toBeLessThan(100);
    for (const id of ["a", "b", "d", "viewer"]) expect(heardAt(r, id, 1000, first, r.tick)).toHaveLength(r.tick - first);
    expect(r.mixer.stats.inputsDecoded).toBe(2);
    expect(loudestSelf(r, "c")).toBeLessThan(ABSENT);
  });

  it("a talker pushed out of the mix by a louder one, still talking, never hears their own voice", () => {
    const r = room({ a: 440, b: 660, c: 1000, d: 1400 });
    r.say("a", true);
    r.say("b", true);
    r.say("c", true, -25);
    r.run(1000);
    // d comes in 10 dB louder than c: c loses its place at once, though c goes on talking.
    r.say("d", true, -15);
    const switchAt = r.tick;
    r.run(1000);
    // From a few ticks after d's first packet (its prefill, then the onset of its tone in the codecs).
    expect(heardAt(r, "c", 1400, switchAt + 8, r.tick)).toHaveLength(r.tick - switchAt - 8);
    expect(heardAt(r, "a", 1000, switchAt + 8, r.tick)).toEqual([]);
    // c now hears the everyone-mix, whose encoder had c's voice in it until the switch.
    expect(r.mixer.stats).toMatchObject({ inputsMixed: 3, encodings: 4 });
    expect(loudestSelf(r, "c")).toBeLessThan(ABSENT);
    // Moving between encodings, c's packets still count up one by one.
    const seq = r.listeners.get("c")!.sequences;
    for (let i = 1; i < seq.length; i++) expect((seq[i] - seq[i - 1]) & 0xffff).toBe(1);
  });

  it("the end of a voice that left the mix is not in the everyone-mix's next packet for them", () => {
    // One place, so c's own mix is silence and nothing else can hide a leak of c's voice: when d, louder,
    // takes the place, c goes on talking and moves to the everyone-mix (d alone). That encoder's packet
    // after the switch still carries the last 6.5 ms of the frame before it, c's voice.
    const r = room({ c: 1000, d: 1400 }, [], { ...DEFAULT_TALKER_SELECTION, maxTalkers: 1 });
    r.say("c", true, -15);
    r.run(1000);
    r.say("d", true, -5);
    r.run(500);
    expect(heardAt(r, "c", 1400, r.tick - 15, r.tick)).toHaveLength(15);
    expect(loudestSelf(r, "c")).toBeLessThan(ABSENT);
  });

  it("after a long silence the resumed stream decodes cleanly; a talker's end leaves the mix after the hangover", () => {
    const r = room({ a: 440, b: 660 }, ["viewer"]);
    r.say("a", true);
    r.run(2000);
    r.say("a", false);
    const stop = r.tick;
    r.run(2000);
    expect(r.mixer.stats).toMatchObject({ inputsDecoded: 0, inputsMixed: 0, encodings: 1 });
    r.say("a", true);
    const resume = r.tick;
    r.run(500);
    const heard = heardAt(r, "viewer", 440, resume, r.tick);
    expect(heard.length).toBeGreaterThanOrEqual(r.tick - resume - 3);
    expect(heardAt(r, "b", 440, resume, r.tick)).toEqual(heard);
    // a was mixed (silence and all) for the 500 ms hangover after its last word, then not.
    expect(heardAt(r, "viewer", 440, stop + 3, resume)).toEqual([]);
    expect(loudestSelf(r, "a")).toBeLessThan(ABSENT);
  });

  it("decodes and measures every input whose sender sends no levels, and mixes only those that sound", () => {
    const r = room({ a: 440, b: 660, c: 1000 }, ["viewer"]);
    r.say("a", true, null);
    r.say("b", false, null);
    r.say("c", false, null);
    r.run(1000);
    expect(r.mixer.stats).toMatchObject({ inputsDecoded: 3, inputsMixed: 1, encodings: 2, packetsSkipped: 0 });
    expect(heardAt(r, "b", 440, r.tick - 25, r.tick)).toHaveLength(25);
  });

  it("ranks talkers by what their audio measures, not by the level they claim", () => {
    // d claims -5 dBov but sends digital silence: decoded (its stamp says speech), yet it cannot take a place.
    const r = room({ a: 440, b: 660, c: 1000, d: 1400 }, ["viewer"]);
    for (const id of ["a", "b", "c"]) r.say(id, true);
    r.run(500);
    r.say("d", false, -5);
    r.run(1000);
    expect(r.mixer.stats).toMatchObject({ inputsDecoded: 4, inputsMixed: 3, encodings: 4 });
    for (const hz of [440, 660, 1000]) expect(heardAt(r, "viewer", hz, r.tick - 25, r.tick)).toHaveLength(25);
  });

  // Opus in-band FEC lives in SILK frames (SILK-only or hybrid: TOC configs 0-15); a CELT-only packet (16-31)
  // carries none. With FEC on and a loss expected, libopus codes the voice in SILK/hybrid to carry it.
  it("sizes each shared encoder's in-band FEC to the worst loss among the listeners who hear it", () => {
    const r = room({ a: 440, b: 660 }, ["v1", "v2"]);
    r.say("a", true);
    const configs = (listener: string, from: number) =>
      [...r.listeners.get(listener)!.payloads].filter(([tick]) => tick >= from).map(([, hex]) => Buffer.from(hex, "hex")[0] >> 3);
    r.run(1000);
    // No loss anywhere: this tone at 48 kbit/s goes out as CELT, no FEC.
    expect(configs("v1", r.tick - 25).every((c) => c >= 16)).toBe(true);
    // v2 (hearing the everyone-mix, as v1 and b do) loses 20 %: the everyone-mix's encoder protects, for all three.
    r.mixer.setOutputLoss("v2", 0.2);
    let from = r.tick + 1;
    r.run(1000);
    for (const listener of ["v1", "v2", "b"]) expect(configs(listener, from + 10).every((c) => c < 16)).toBe(true);
    // a hears a mix-minus of its own encoder: nobody on it lost anything, so it stays unprotected.
    expect(configs("a", from + 10).every((c) => c >= 16)).toBe(true);
    // The lossy listener's link recovers: FEC off again.
    r.mixer.setOutputLoss("v2", 0);
    from = r.tick + 1;
    r.run(1000);
    expect(configs("v1", from + 10).every((c) => c >= 16)).toBe(true);
  });

  it("a muted talker is neither decoded nor mixed", () => {
    const r = room({ a: 440, b: 660 }, ["viewer"]);
    r.say("a", true);
    r.say("b", true);
    r.run(500);
    r.mutes.get("a")!.audioMuted = true;
    r.run(1000);
    expect(r.mixer.stats).toMatchObject({ inputsDecoded: 1, inputsMixed: 1, encodings: 2 });
    expect(heardAt(r, "viewer", 440, r.tick - 25, r.tick)).toEqual([]);
    r.mutes.get("a")!.audioMuted = false;
    const unmuted = r.tick;
    r.run(500);
    expect(r.at(heardAt(r, "viewer", 440, unmuted, r.tick)[0]) - r.at(unmuted)).toBeLessThan(100);
  });

  it("a shared screen's sound: heard by all but its sharer, beside three talkers, never a talker or the speaker", () => {
    const r = room({ a: 440, b: 660, c: 1000, d: 1400 }, ["viewer"]);
    const voices: string[][] = [];
    r.mixer.addVoicesTap("rec", (v) => voices.push([...v.keys()]));
    const speakers: (string | undefined)[] = [];
    r.mixer.on("activeSpeaker", (id) => speakers.push(id));
    // a shares silently; b, c and d fill the three talker places.
    const screen = r.share("a", 1800);
    r.say("b", true);
    r.say("c", true);
    r.say("d", true, -20);
    r.run(1000);
    expect(r.mixer.stats).toMatchObject({ inputsMixed: 4 });
    const from = r.tick - 25;
    for (const id of ["b", "c", "d", "viewer"]) expect(heardAt(r, id, 1800, from, r.tick), `${id} hears the screen`).toHaveLength(25);
    expect(heardAt(r, "a", 1800, from, r.tick), "the sharer never hears their own screen").toEqual([]);
    for (const hz of [660, 1000, 1400]) expect(heardAt(r, "a", hz, from, r.tick)).toHaveLength(25);
    // A sharer who talks too hears neither.
    r.say("d", false);
    r.say("a", true);
    r.run(1000);
    const later = r.tick - 25;
    expect(heardAt(r, "a", 1800, later, r.tick)).toEqual([]);
    expect(heardAt(r, "a", 440, later, r.tick)).toEqual([]);
    expect(heardAt(r, "b", 1800, later, r.tick)).toHaveLength(25);
    expect(heardAt(r, "b", 440, later, r.tick)).toHaveLength(25);
    expect(
      voices.every((ids) => !ids.includes(screen)),
      "the screen is not one of the recording's voices",
    ).toBe(true);
    expect(speakers).not.toContain(screen);
    // The share ends: nobody hears it from the next ticks on.
    r.mixer.removeInput(screen);
    r.say("a", false);
    r.run(200);
    expect(heardAt(r, "viewer", 1800, r.tick - 5, r.tick)).toEqual([]);
  });
});
