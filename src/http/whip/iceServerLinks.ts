import type { IceServer } from "../../config.js";

/** RFC 9725 section 4.6: each ICE server as a Link header value, credentials included. */
export function iceServerLinks(server: IceServer): string[] {
  return server.urls.map((url) => {
    const credentials =
      server.username !== undefined && server.credential !== undefined
        ? `; username="${quoted(server.username)}"; credential="${quoted(server.credential)}"; credential-type="password"`
        : "";
    return `<${url}>; rel="ice-server"${credentials}`;
  });
}

function quoted(value: string): string {
  return value.replace(/["\\]/g, "\\$&");
}
