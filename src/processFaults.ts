import { Counter, type Registry } from "prom-client";
import type { Logger } from "./log.js";

/** What the process does about one fault nobody caught. */
export type FaultVerdict = "carry-on" | "exit";

type FaultKind = "exception" | "rejection";

/**
 * The process's answer to an exception or a rejection nobody caught (docs/decisions.md, "Faults nobody
 * caught"). While the server is serving, one fault must not end every room: it is logged with its stack,
 * counted (`tessera_uncaught_errors_total`) and the process carries on, as a room's fault boundary does
 * for media code. Dying is still right when:
 * - the server has not finished starting: nobody is served yet, and a server that starts half-broken is
 *   worse than one that does not start (the supervisor sees the exit and the log says why);
 * - the thrown value is not an Error: no stack says where it came from, and what throws one in this
 *   process is a native addon (ffmpeg, canvas, opus) or a library broken in a way we cannot judge, so we
 *   cannot tell whether the other rooms' state is whole. The server then stops as on SIGTERM (rooms
 *   closed, recordings finished, children stopped, within SHUTDOWN_GRACE_MS) and exits 1.
 * Rejections never end the process (a peer library's stray promise), but are counted the same way.
 */
export class ProcessFaults {
  private serving = false;
  private readonly counter = new Counter({
    name: "tessera_uncaught_errors_total",
    help: "Exceptions and promise rejections nobody caught, by kind; the process logged each and carried on (see docs/decisions.md)",
    labelNames: ["kind"],
    registers: [],
  });

  constructor(private readonly log: Logger) {
    for (const kind of ["exception", "rejection"] satisfies FaultKind[]) this.counter.inc({ kind }, 0);
  }

  /** Exposes the counter on a server's registry. */
  register(registry: Registry): void {
    registry.registerMetric(this.counter);
  }

  /** The server is up: from now on an Error nobody caught is survived. */
  started(): void {
    this.serving = true;
  }

  /** Logs and counts an uncaught exception, and says whether the process must end. */
  exception(err: unknown): FaultVerdict {
    this.counter.inc({ kind: "exception" });
    const isError = err instanceof Error;
    const verdict: FaultVerdict = this.serving && isError ? "carry-on" : "exit";
    const error = isError ? (err.stack ?? `${err.name}: ${err.message}`) : describeValue(err);
    if (verdict === "carry-on")
      this.log.error("uncaught exception: logged and survived (a bug: please report it with this stack)", { error });
    else
      this.log.error(
        this.serving ? "uncaught exception of a non-Error value: stopping the server" : "uncaught exception during start-up: exiting",
        { error },
      );
    return verdict;
  }

  /** Logs and counts an unhandled rejection; the process always carries on. */
  rejection(reason: unknown): void {
    this.counter.inc({ kind: "rejection" });
    this.log.error("unhandled rejection", { error: reason instanceof Error ? (reason.stack ?? reason.message) : describeValue(reason) });
  }

  /** Wires this policy to the process; `exit` is called (once per fault) when a fault ends it. */
  install(target: NodeJS.Process, exit: (reason: string) => void): void {
    target.on("uncaughtException", (err) => {
      if (this.exception(err) === "exit") exit("uncaught exception");
    });
    target.on("unhandledRejection", (reason) => this.rejection(reason));
  }
}

/** A thrown non-Error, as a bounded string for the log (an object may be huge or throw in toString). */
function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : `${typeof value}: ${JSON.stringify(value) ?? String(value)}`;
  } catch {
    text = `${typeof value} (not printable)`;
  }
  return text.slice(0, 500);
}
