import type { RTCPeerConnection } from "werift";

/**
 * werift 0.24's ICE agent falls back to stun.l.google.com when no STUN server is configured, so a
 * server told to use loopback only would still send a binding request to the internet. Call this after
 * the ICE transports exist (after setRemoteDescription / createOffer) and before setLocalDescription,
 * which is when gathering starts. A STUN server the operator did configure is left alone.
 */
export function disableImplicitStun(pc: RTCPeerConnection, stunConfigured: boolean): void {
  if (stunConfigured) return;
  for (const transport of pc.iceTransports) {
    (transport.connection as unknown as { stunServer?: unknown }).stunServer = undefined;
  }
}
