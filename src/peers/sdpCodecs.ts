/** What an offer can carry that Tessera can use: the m-sections' codec names, read from the SDP text. */
export interface OfferCodecs {
  readonly video: readonly string[];
  readonly audio: readonly string[];
}

export function offerCodecs(sdp: string): OfferCodecs {
  const found: { video: string[]; audio: string[] } = { video: [], audio: [] };
  let section: "video" | "audio" | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    const media = /^m=(\w+) (\d+)/.exec(line);
    if (media) {
      // Port 0 means the section is rejected or stopped: nothing in it counts.
      section = (media[1] === "video" || media[1] === "audio") && media[2] !== "0" ? media[1] : undefined;
      continue;
    }
    const rtpmap = /^a=rtpmap:\d+ ([\w.-]+)\//.exec(line);
    if (rtpmap && section) found[section].push(rtpmap[1].toUpperCase());
  }
  return found;
}

/** Undefined when usable, else a sentence naming what is missing. */
export function unusableOfferReason(sdp: string): string | undefined {
  const { video, audio } = offerCodecs(sdp);
  const problems: string[] = [];
  if (!video.length) problems.push("the offer has no video section");
  else if (!video.some((c) => c === "VP8" || c === "H264")) problems.push(`no usable video codec (offered ${[...new Set(video)].join(", ")}; the server takes VP8 or H264)`);
  if (!audio.length) problems.push("the offer has no audio section");
  else if (!audio.includes("OPUS")) problems.push(`no usable audio codec (offered ${[...new Set(audio)].join(", ")}; the server takes Opus)`);
  return problems.length ? problems.join("; ") : undefined;
}

/** A participant's own offer carries its microphone and its camera: one section of each kind at most. */
export const MAX_OFFER_SECTIONS = { audio: 1, video: 1 } as const;

/**
 * Undefined when the offer's m-sections are ones a participant can use, else a sentence saying what is
 * wrong. Checked before the offer reaches werift, which opens a UDP socket per section when the offer
 * does not bundle them: thirty sections would take thirty ports.
 */
export function tooManySectionsReason(sdp: string): string | undefined {
  const counts = new Map<string, number>();
  for (const match of sdp.matchAll(/^m=(\S+)/gm)) counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const extra = [...counts].filter(([kind, n]) => n > (MAX_OFFER_SECTIONS[kind as keyof typeof MAX_OFFER_SECTIONS] ?? 0));
  if (extra.length === 0) return undefined;
  const found = [...counts].map(([kind, n]) => `${n} ${kind.slice(0, 16)}`).join(", ");
  return `the offer has ${total} media sections (${found}): a participant sends at most one audio and one video section`;
}
