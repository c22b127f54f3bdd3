// Debian's simple-whip-client (Meetecho's GStreamer WHIP client) as a child of the test: started with
// GStreamer test sources, stopped by its PID (SIGINT: it DELETEs its session and exits), output kept for
// failure messages. See loopbackShim.c for the two things the test machine needs of it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WHIP_CLIENT = "/usr/bin/whip-client";
const SHIM_SOURCE = fileURLToPath(new URL("./loopbackShim.c", import.meta.url));
/** The soname the shim stands in for (loopbackShim.c, point 1). */
const SHIM_NAME = "libgupnp-igd-1.0.so.4";

export interface SimpleWhipClientOptions {
  readonly endpoint: string;
  readonly token?: string;
  /** videotestsrc's solid colour, 0xAARRGGBB. */
  readonly colour: number;
  readonly toneHz: number;
}

/** Why the client cannot run here, or undefined when it can (whip-client and a C compiler for the shim). */
export function simpleWhipClientMissing(): string | undefined {
  if (!existsSync(WHIP_CLIENT))
    return `${WHIP_CLIENT} not found: install Debian's simple-whip-client ("apt-get install -y simple-whip-client gstreamer1.0-nice gstreamer1.0-plugins-bad gstreamer1.0-plugins-good")`;
  try {
    execFileSync("cc", ["--version"], { stdio: "ignore" });
  } catch {
    return 'no C compiler (cc) for the loopback shim: install "gcc libc6-dev"';
  }
  return undefined;
}

export class SimpleWhipClient {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly shimDir: string,
  ) {
    const remember = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) this.output.push(line);
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on("data", remember);
    child.stderr?.on("data", remember);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static start(options: SimpleWhipClientOptions): SimpleWhipClient {
    const shimDir = mkdtempSync(join(tmpdir(), "tessera-whip-shim-"));
    const shim = join(shimDir, SHIM_NAME);
    execFileSync("cc", ["-shared", "-fPIC", "-O1", "-o", shim, `-Wl,-soname,${SHIM_NAME}`, SHIM_SOURCE, "-ldl"]);
    const video = `videotestsrc is-live=true pattern=solid-color foreground-color=${options.colour} ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! queue ! vp8enc deadline=1 target-bitrate=300000 keyframe-max-dist=30 ! rtpvp8pay pt=96 ssrc=2 ! queue ! application/x-rtp,media=video,encoding-name=VP8,payload=96`;
    const audio = `audiotestsrc is-live=true wave=sine freq=${options.toneHz} volume=0.3 ! audioconvert ! audioresample ! queue ! opusenc ! rtpopuspay pt=100 ssrc=1 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=100`;
    const args = ["-u", options.endpoint, "-l", "4", "-o", "-A", audio, "-V", video, ...(options.token ? ["-t", options.token] : [])];
    const child = spawn(WHIP_CLIENT, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LD_LIBRARY_PATH: shimDir, LD_PRELOAD: shim, GST_DEBUG: "0" },
    });
    return new SimpleWhipClient(child, shimDir);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  describe(): string {
    return `whip-client (pid ${this.pid}) output:\n${this.output.slice(-40).join("\n")}`;
  }

  /** SIGINT, as a user's Ctrl-C: the client DELETEs its session; SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (this.running) this.child.kill("SIGINT");
    const timer = setTimeout(() => {
      if (this.running) this.child.kill("SIGKILL");
    }, graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    rmSync(this.shimDir, { recursive: true, force: true });
    return code;
  }

  /** SIGKILL, as a crash or a pulled plug: no DELETE, no DTLS close; the server must notice by itself. */
  async crash(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Resolves with the exit code once the client has exited on its own. */
  waitExit(): Promise<number | null> {
    return this.exited;
  }
}
