// A shared screen's id where a participant's id would go: the mix's tile (MCU), the forwarded stream (SFU).
// Never a participant id: the server's are 8 characters without a colon.

const PREFIX = "screen:";

/** The id of `owner`'s shared screen. */
export function screenSourceId(owner: string): string {
  return `${PREFIX}${owner}`;
}

/** Whose screen `id` is; undefined when it is not a screen's id. */
export function screenOwner(id: string): string | undefined {
  return id.startsWith(PREFIX) && id.length > PREFIX.length ? id.slice(PREFIX.length) : undefined;
}
