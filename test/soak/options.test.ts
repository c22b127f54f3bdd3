import { describe, expect, it } from "vitest";
import { OptionsError, parseSoakOptions } from "../../soak/options.js";

describe("npm run soak options", () => {
  it("has defaults for everything", () => {
    expect(parseSoakOptions([])).toMatchObject({ minutes: 30, rooms: 3, clients: 7, sfu: true });
  });

  it("reads every option", () => {
    expect(
      parseSoakOptions([
        "--minutes",
        "2.5",
        "--rooms",
        "2",
        "--clients",
        "5",
        "--no-sfu",
        "--seed",
        "7",
        "--kinds",
        "sender,rejected-offer",
      ]),
    ).toEqual({
      minutes: 2.5,
      rooms: 2,
      clients: 5,
      sfu: false,
      seed: 7,
      kinds: ["sender", "rejected-offer"],
    });
  });

  it.each([
    [["--minutes", "1"], /--minutes: "1" is not a number from 2 to 1440/],
    [["--minutes", "abc"], /--minutes: "abc"/],
    [["--minutes", ""], /--minutes: ""/],
    [["--rooms", "2.5"], /--rooms: "2.5" is not a whole number from 1 to 6/],
    [["--rooms", "7"], /--rooms: "7"/],
    [["--clients", "1"], /--clients: "1" is not a whole number from 2 to 24/],
    [["--minutes"], /--minutes needs a value/],
    [["--minutes", "--rooms", "2"], /--minutes needs a value/],
    [["--mintues", "3"], /unknown argument "--mintues"/],
    [["3"], /unknown argument "3"/],
    [["--kinds", "sender,ghost"], /--kinds: unknown kind "ghost"/],
    [["--kinds", "rejected-offer"], /--kinds: include sender or viewer/],
  ])("refuses %j with a message naming the problem", (argv, message) => {
    expect(() => parseSoakOptions(argv)).toThrow(OptionsError);
    expect(() => parseSoakOptions(argv)).toThrow(message);
  });
});
