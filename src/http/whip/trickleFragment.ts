/** One candidate of a trickle-ICE fragment, as a peer connection's addIceCandidate takes it. */
export interface FragmentCandidate {
  /** `candidate:...`, the attribute without its `a=`. */
  readonly candidate: string;
  readonly sdpMid: string | undefined;
}

/** An `application/trickle-ice-sdpfrag` body (RFC 8840, as RFC 9725 section 4.3.1 PATCHes it), read. */
export interface TrickleFragment {
  /** The ICE credentials the fragment names (session level, or its first media section's). */
  readonly ufrag: string | undefined;
  readonly pwd: string | undefined;
  readonly candidates: readonly FragmentCandidate[];
  readonly endOfCandidates: boolean;
}

/** More candidates than a client gathers in practice; a body with more is refused rather than fed to ICE. */
export const MAX_FRAGMENT_CANDIDATES = 64;

/**
 * Reads a fragment, or names what is wrong with it. Lines other than the ICE ones (m=, a=mid, a=group and
 * anything else) are read only for the `mid` each candidate belongs to.
 */
export function parseTrickleFragment(body: string): TrickleFragment | { readonly problem: string } {
  let ufrag: string | undefined;
  let pwd: string | undefined;
  let mid: string | undefined;
  let endOfCandidates = false;
  const candidates: FragmentCandidate[] = [];
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (!/^[a-z]=/.test(line)) return { problem: `"${line.slice(0, 40)}" is not an SDP line` };
    if (line.startsWith("m=")) mid = undefined;
    else if (line.startsWith("a=mid:")) mid = line.slice(6);
    else if (line.startsWith("a=ice-ufrag:")) ufrag ??= line.slice(12);
    else if (line.startsWith("a=ice-pwd:")) pwd ??= line.slice(10);
    else if (line === "a=end-of-candidates") endOfCandidates = true;
    else if (line.startsWith("a=candidate:")) {
      // foundation, component, transport, priority, address, port, "typ", type: the least a candidate has.
      if (line.slice(12).split(" ").length < 8) return { problem: `"${line.slice(0, 80)}" is not a complete ICE candidate` };
      candidates.push({ candidate: line.slice(2), sdpMid: mid });
      if (candidates.length > MAX_FRAGMENT_CANDIDATES)
        return { problem: `more than ${MAX_FRAGMENT_CANDIDATES} candidates in one fragment` };
    }
  }
  return { ufrag, pwd, candidates, endOfCandidates };
}
