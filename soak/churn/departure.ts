import type { ControlApi } from "../controlApi.js";

/**
 * Waits until the server no longer lists a participant named `name` in `room` (or the room has closed).
 * Names are unique per cycle, so this finds a ghost whatever id the server gave it (a rejected offer
 * re-admits the participant under a new id the client is never told). Returns the failure, or undefined.
 */
export async function checkDeparted(api: ControlApi, room: string, name: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const participants = await api.participants(room);
      const ghost = participants?.find((p) => p.name === name);
      if (!ghost) return undefined;
      last = `still listed as ${JSON.stringify(ghost)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) return `${name} did not leave ${room} within ${timeoutMs} ms: ${last}`;
    await new Promise((r) => setTimeout(r, 250));
  }
}
