/** What an offer can carry that Tessera can use: the m-sections' codec names, read from the SDP text. */
export interface OfferCodecs {
  readonly video: readonly string[];
  readonly audio: readonly string[];
}

interface MediaSection {
  readonly kind: string;
  readonly port: string;
  mid?: string;
  bundleOnly: boolean;
  readonly codecs: string[];
}

/** The offer's m-sections (kind, port, mid, bundle-only, codec names) and the mids of its BUNDLE groups. */
function parseSections(sdp: string): { sections: MediaSection[]; bundled: Set<string> } {
  const sections: MediaSection[] = [];
  const bundled = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    const media = /^m=(\w+) (\d+)/.exec(line);
    if (media) {
      sections.push({ kind: media[1], port: media[2], bundleOnly: false, codecs: [] });
      continue;
    }
    const group = /^a=group:BUNDLE(.*)$/.exec(line);
    if (group && sections.length === 0) for (const mid of group[1].trim().split(/\s+/)) if (mid) bundled.add(mid);
    const section = sections.at(-1);
    if (!section) continue;
    const mid = /^a=mid:(\S+)/.exec(line);
    if (mid) section.mid = mid[1];
    if (/^a=bundle-only\s*$/.test(line)) section.bundleOnly = true;
    const rtpmap = /^a=rtpmap:\d+ ([\w.-]+)\//.exec(line);
    if (rtpmap) section.codecs.push(rtpmap[1].toUpperCase());
  }
  return { sections, bundled };
}

/**
 * Port 0 means the section is rejected or stopped, unless it is `a=bundle-only` in a BUNDLE group: then it
 * rides on the bundle's transport (RFC 8843, bundle-only; RFC 8829 §5.2.1). Firefox writes every section after the first
 * this way under `bundlePolicy: "max-bundle"`, as the standard says; Chromium never does.
 */
function inUse(section: MediaSection, bundled: ReadonlySet<string>): boolean {
  if (section.port !== "0") return true;
  return section.bundleOnly && section.mid !== undefined && bundled.has(section.mid);
}

/**
 * The same session with every bundle-only section on the bundle's port (9, as Chromium writes them). werift 0.24
 * raises no track for a port-0 section whatever its a=bundle-only says, so Firefox's camera would arrive on a
 * transceiver nobody listens to; written this way werift reads it as the bundled section it is.
 */
export function withBundleOnlyOnBundlePort(sdp: string): string {
  const { sections, bundled } = parseSections(sdp);
  let index = -1;
  return sdp.replace(/^m=(\w+) (\d+)/gm, (line, kind: string) => {
    index += 1;
    const section = sections[index];
    return section && section.port === "0" && inUse(section, bundled) ? `m=${kind} 9` : line;
  });
}

export function offerCodecs(sdp: string): OfferCodecs {
  const found: { video: string[]; audio: string[] } = { video: [], audio: [] };
  const { sections, bundled } = parseSections(sdp);
  for (const section of sections) {
    if ((section.kind === "video" || section.kind === "audio") && inUse(section, bundled)) found[section.kind].push(...section.codecs);
  }
  return found;
}

/** Undefined when usable, else a sentence naming what is missing. */
export function unusableOfferReason(sdp: string): string | undefined {
  const { video, audio } = offerCodecs(sdp);
  const problems: string[] = [];
  if (!video.length) problems.push("the offer has no video section");
  else if (!video.some((c) => c === "VP8" || c === "H264"))
    problems.push(`no usable video codec (offered ${[...new Set(video)].join(", ")}; the server takes VP8 or H264)`);
  if (!audio.length) problems.push("the offer has no audio section");
  else if (!audio.includes("OPUS"))
    problems.push(`no usable audio codec (offered ${[...new Set(audio)].join(", ")}; the server takes Opus)`);
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
