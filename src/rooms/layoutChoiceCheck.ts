import { LAYOUT_NAMES, type LayoutChoice } from "../../protocol/layoutDefinition.js";
import { NotASenderError, UnknownParticipantError } from "./errors.js";
import type { Member } from "./participant.js";

/**
 * A layout choice as the room applies it (only what the choice names is kept), or the error that refuses it:
 * an unknown layout or a pin or custom layout without its argument (RangeError), a pin naming nobody here
 * (UnknownParticipantError) or a viewer (NotASenderError: only senders have a tile). The one home of these
 * rules: an MCU room checks with it, and so does the proxy of a room whose media runs in a worker, which must
 * answer at once.
 */
export function checkedLayoutChoice(choice: LayoutChoice, members: ReadonlyMap<string, Member>, room: string): LayoutChoice {
  if (!LAYOUT_NAMES.includes(choice.layout))
    throw new RangeError(`unknown layout "${String(choice.layout)}": use one of ${LAYOUT_NAMES.join(", ")}`);
  if (choice.layout === "pin") {
    if (choice.pin === undefined) throw new RangeError('the "pin" layout needs the participant to pin');
    const member = members.get(choice.pin);
    if (!member) throw new UnknownParticipantError(`no participant "${choice.pin.slice(0, 64)}" in room "${room}"`);
    if (member.role !== "sender")
      throw new NotASenderError(`participant "${member.id}" (${member.name}) is a viewer: only senders have a tile to pin`);
    return { layout: "pin", pin: choice.pin };
  }
  if (choice.layout === "custom") {
    if (choice.definition === undefined) throw new RangeError('the "custom" layout needs its definition');
    return { layout: "custom", definition: choice.definition };
  }
  return { layout: choice.layout };
}
