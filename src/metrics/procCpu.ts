import { readFileSync } from "node:fs";

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every architecture Node runs on.
const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields are counted from its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}
