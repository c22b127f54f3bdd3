import { describe, expect, it } from "vitest";
import { Translator } from "./i18n/translator.js";
import { deviceOptions } from "./prejoin.js";
import { roomLink } from "./ui.js";

const dev = (deviceId: string, kind: MediaDeviceKind, label = "") => ({ deviceId, kind, label });

describe("device choices", () => {
  it("lists one kind, by label, without Chromium's duplicate aliases", () => {
    const list = [
      dev("default", "audioinput", "Default - Mic A"),
      dev("communications", "audioinput", "Communications - Mic A"),
      dev("a1", "audioinput", "Mic A"),
      dev("v1", "videoinput", "Cam"),
    ];
    expect(deviceOptions(list, "audioinput", "Microphone", new Translator("en").t)).toEqual([
      { value: "default", label: "Default - Mic A" },
      { value: "a1", label: "Mic A" },
    ]);
    expect(deviceOptions(list, "videoinput", "Camera", new Translator("en").t)).toEqual([{ value: "v1", label: "Cam" }]);
  });

  it("numbers devices whose labels the browser hides, in the page's language; skips empty ids", () => {
    const list = [dev("x", "videoinput"), dev("y", "videoinput"), dev("", "videoinput")];
    expect(deviceOptions(list, "videoinput", "카메라", new Translator("ko").t).map((o) => o.label)).toEqual(["카메라 1", "카메라 2"]);
  });
});

describe("the room link", () => {
  it("carries the room only (the person invited gets the pre-join screen), encoded", () => {
    expect(roomLink({ origin: "https://meet.example", pathname: "/" }, "standup")).toBe("https://meet.example/?room=standup");
    expect(roomLink({ origin: "http://h:1", pathname: "/" }, "a b&c")).toBe("http://h:1/?room=a+b%26c");
  });
});
