import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv } from "./config.js";
import { silentLogger } from "./log.js";
import { startServer } from "./server.js";

describe("config: the ops settings", () => {
  it("reads LOG_LEVEL and API_TOKEN, and treats an empty API_TOKEN as unset", () => {
    expect(configFromEnv({ LOG_LEVEL: "debug", API_TOKEN: "abc" })).toMatchObject({ logLevel: "debug", apiToken: "abc" });
    expect(configFromEnv({ API_TOKEN: "" }).apiToken).toBeUndefined();
    expect(configFromEnv({}).logLevel).toBe("info");
    expect(configFromEnv({}).shutdownGraceMs).toBe(10_000);
    expect(configFromEnv({ SHUTDOWN_GRACE_MS: "2500" }).shutdownGraceMs).toBe(2500);
    expect(() => configFromEnv({ SHUTDOWN_GRACE_MS: "soon" })).toThrow(/SHUTDOWN_GRACE_MS/);
  });

  it("stops at start on a LOG_LEVEL it does not know, naming the variable", () => {
    expect(() => configFromEnv({ LOG_LEVEL: "loud" })).toThrow(ConfigError);
    expect(() => configFromEnv({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });

  it("reads LABEL_FONT; one naming a font that is not installed stops the start-up, naming it", async () => {
    expect(configFromEnv({ LABEL_FONT: "Noto Sans, /fonts/x.ttf" }).labelFont).toBe("Noto Sans, /fonts/x.ttf");
    expect(configFromEnv({}).labelFont).toBeUndefined();
    await expect(startServer({ port: 0, host: "127.0.0.1", labelFont: "Helvetica Imaginary" }, silentLogger)).rejects.toThrow(/LABEL_FONT: font family "Helvetica Imaginary" is not installed/);
    const server = await startServer({ port: 0, host: "127.0.0.1", labelFont: "Noto Sans" }, silentLogger);
    try {
      expect(server.config.labelFamilies).toEqual(["Noto Sans"]);
    } finally {
      await server.close();
    }
  });
});
