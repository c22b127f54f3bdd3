/**
 * Microbenchmark of one MCU room's audio work: `npx tsx bench/audioTick.ts [--senders 6] [--talkers 2]
 * [--viewers 1] [--ticks 3000]`. Every sender's 20 ms Opus packet (a tone for talkers, digital silence
 * for the rest, each stamped with its RFC 6464 level as browsers do) goes in, then one mix tick; the time
 * of both, per tick, is what the room's audio costs Node. No network, no timers: ticks run back to back
 * on a virtual 20 ms clock, and the figure is the process's CPU time per tick.
 */
import { RtpHeader, RtpPacket } from "werift";
import { AudioMixer } from "../mixer/audio/audioMixer.js";
import { FaultBoundary } from "../mixer/faults.js";
import { tonePackets } from "../test/helpers/fixtures.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: "${process.argv[i + 1]}" is not a whole number`);
  return n;
}

const senders = arg("senders", 6);
const talkers = Math.min(senders, arg("talkers", 2));
const viewers = arg("viewers", 1);
const ticks = arg("ticks", 3000);

const mixer = new AudioMixer(
  48_000,
  new FaultBoundary((err) => {
    throw err;
  }),
);
const ids = Array.from({ length: senders }, (_, i) => `s${i}`);
const sounds = ids.map((_, i) => (i < talkers ? tonePackets(300 + 100 * i) : tonePackets(300 + 100 * i, 0)));
// RFC 6464 magnitudes: the tones are about -15 dBov RMS; 127 is digital silence.
const levels = ids.map((_, i) => (i < talkers ? -15 : -127));
let bytesOut = 0;
for (const id of ids) {
  mixer.addInput(id);
  mixer.addOutput(id, id, (p) => (bytesOut += p.length));
}
for (let v = 0; v < viewers; v++) mixer.addOutput(`v${v}`, undefined, (p) => (bytesOut += p.length));

function run(from: number, count: number, t0: number): void {
  for (let t = from; t < from + count; t++) {
    const now = t0 + t * 20;
    for (let i = 0; i < senders; i++) {
      const header = new RtpHeader({
        payloadType: 111,
        sequenceNumber: t & 0xffff,
        timestamp: (t * 960) >>> 0,
        ssrc: 1000 + i,
        marker: false,
      });
      mixer.pushRtp(ids[i], new RtpPacket(header, sounds[i][t % sounds[i].length]), levels[i], now);
    }
    mixer.poll(now);
    mixer.mixTick(t, now);
  }
}

const t0 = performance.now();
run(0, 500, t0); // warm-up: JIT, codec ramp-up, prefill
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
run(500, ticks, t0);
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const stats = mixer.stats;
mixer.close();
// CPU time is the figure: on a shared machine the wall clock also counts other processes' turns.
const perTick = (cpu.user + cpu.system) / ticks;
console.log(
  JSON.stringify({
    senders,
    talkers,
    viewers,
    ticks,
    cpuUsPerTick: Number(perTick.toFixed(1)),
    wallUsPerTick: Number(((wall * 1000) / ticks).toFixed(1)),
    // A 20 ms tick: the share of one core this room's audio keeps busy.
    coreShare: Number((perTick / 20_000).toFixed(4)),
    inputsDecoded: stats.inputsDecoded,
    inputsMixed: stats.inputsMixed,
    encodingsPerTick: stats.encodings,
    kbitOut: Math.round((bytesOut * 8) / ((ticks + 500) * 0.02) / 1000),
  }),
);
