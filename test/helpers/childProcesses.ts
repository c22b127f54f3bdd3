import { readdirSync, readFileSync } from "node:fs";

export interface ChildProcessInfo {
  readonly pid: number;
  readonly command: string;
}

/** The live children of `parent` (this process by default), read from /proc: what the OS says, not a registry. */
export function childProcesses(parent = process.pid): ChildProcessInfo[] {
  const children: ChildProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const close = stat.lastIndexOf(")");
    const [state, ppid] = stat.slice(close + 2).split(" ");
    if (Number(ppid) !== parent || state === "Z") continue;
    children.push({ pid: Number(entry), command: stat.slice(stat.indexOf("(") + 1, close) });
  }
  return children;
}
