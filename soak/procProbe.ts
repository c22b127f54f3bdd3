import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** What a leak would show in one process, read from /proc (Linux only). */
export interface ProcessSample {
  readonly at: number;
  readonly rssBytes: number;
  readonly fds: number;
  /** Sockets of this process that are UDP (ICE) sockets, IPv4 and IPv6. */
  readonly udpSockets: number;
  /** Live (not zombie) direct children named ffmpeg. */
  readonly ffmpegChildren: readonly ChildProcessId[];
  /** Every live direct child, whatever its name. */
  readonly children: number;
}

/** A pid plus its start time, so a pid the kernel has since reused is never mistaken for our child. */
export interface ChildProcessId {
  readonly pid: number;
  readonly startTicks: number;
}

interface StatLine {
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly startTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    return {
      comm: stat.slice(stat.indexOf("(") + 1, close),
      state: fields[0],
      ppid: Number(fields[1]),
      startTicks: Number(fields[19]),
    };
  } catch {
    return undefined; // gone while we looked
  }
}

/** True while `id` names a running (not zombie) process that is still the one we saw. */
export function stillRunning(id: ChildProcessId): boolean {
  const stat = readStat(id.pid);
  return stat !== undefined && stat.state !== "Z" && stat.startTicks === id.startTicks;
}

/** The live (not zombie) direct children of `parent`, with their command names. */
export function liveChildren(parent: number): { id: ChildProcessId; comm: string }[] {
  const out: { id: ChildProcessId; comm: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.ppid === parent && stat.state !== "Z")
      out.push({ id: { pid: Number(entry), startTicks: stat.startTicks }, comm: stat.comm });
  }
  return out;
}

/** Inodes of every UDP socket in the process's network namespace. */
function udpInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["udp", "udp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue; // no IPv6 in this kernel, or the process is gone
    }
    for (const line of text.split("\n").slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode && inode !== "0") inodes.add(inode);
    }
  }
  return inodes;
}

/** VmRSS from status: in kB whatever the page size, unlike stat's page count. */
function residentBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Throws when the process is gone: a sample of a dead server would read as "no leak". */
export function sampleProcess(pid: number): ProcessSample {
  const stat = readStat(pid);
  if (!stat || stat.state === "Z") throw new Error(`process ${pid} is not running`);
  const udp = udpInodes(pid);
  let fds = 0;
  let udpSockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we listed it
    }
    fds++;
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (socket && udp.has(socket[1])) udpSockets++;
  }
  const children = liveChildren(pid);
  return {
    at: Date.now(),
    rssBytes: residentBytes(pid),
    fds,
    udpSockets,
    ffmpegChildren: children.filter((c) => c.comm === "ffmpeg").map((c) => c.id),
    children: children.length,
  };
}

export function describeSample(s: ProcessSample): string {
  return `rss ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB, fds ${s.fds}, udp sockets ${s.udpSockets}, ffmpeg children ${s.ffmpegChildren.length}, children ${s.children}`;
}
