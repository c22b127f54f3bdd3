import { readFileSync, readdirSync } from "node:fs";

const CLK_TCK = 100;

export interface TreeSample {
  /** CPU seconds used so far by every process in the tree, by pid. */
  readonly cpuSeconds: ReadonlyMap<number, number>;
  readonly names: ReadonlyMap<number, string>;
  /** Resident memory of the whole tree, bytes. */
  readonly rssBytes: number;
  /** CPU seconds of the root's main thread (/proc/<root>/task/<root>): the one JavaScript thread of the server. */
  readonly mainThreadSeconds: number;
  readonly root: number;
}

/** CPU and memory of a process and all its descendants (Node plus every ffmpeg child), from /proc. */
export function sampleTree(root: number): TreeSample {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  const names = new Map<number, string>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(pid, Number(fields[1]));
      names.set(pid, stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
      rss.set(pid, Number(fields[21]) * 4096);
    } catch {
      /* the process ended while we listed it */
    }
  }
  const inTree = (pid: number): boolean => pid === root || (pid > 1 && parent.has(pid) && inTree(parent.get(pid)!));
  const pids = [...cpu.keys()].filter(inTree);
  return {
    root,
    mainThreadSeconds: threadCpuSeconds(root, root),
    cpuSeconds: new Map(pids.map((p) => [p, cpu.get(p)!])),
    names: new Map(pids.map((p) => [p, names.get(p)!])),
    rssBytes: pids.reduce((sum, p) => sum + rss.get(p)!, 0),
  };
}

/** Cores used between two samples; processes that started in between count from zero. */
export function coresBetween(start: TreeSample, end: TreeSample, seconds: number): number {
  let used = 0;
  for (const [pid, cpu] of end.cpuSeconds) used += cpu - (start.cpuSeconds.get(pid) ?? 0);
  return used / seconds;
}

/** CPU seconds one thread of a process has used, 0 once it is gone. */
function threadCpuSeconds(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/**
 * Where the server tree's CPU went between two samples, in cores: the server's main thread (signaling, HTTP,
 * and every room's media when MEDIA_WORKERS=0), its other threads (libuv, V8, the encoder's FFmpeg threads),
 * its media workers (Node children: every thread of theirs) and the ffmpeg children under either.
 */
export function cpuSplit(
  start: TreeSample,
  end: TreeSample,
  seconds: number,
): { mainThread: number; serverOtherThreads: number; workers: number; ffmpeg: number } {
  const used = (pid: number) => (end.cpuSeconds.get(pid) ?? 0) - (start.cpuSeconds.get(pid) ?? 0);
  const mainThread = end.mainThreadSeconds - start.mainThreadSeconds;
  let workers = 0;
  let ffmpeg = 0;
  for (const [pid, name] of end.names) {
    if (pid === end.root) continue;
    if (name === "ffmpeg") ffmpeg += used(pid);
    else workers += used(pid);
  }
  return {
    mainThread: mainThread / seconds,
    serverOtherThreads: (used(end.root) - mainThread) / seconds,
    workers: workers / seconds,
    ffmpeg: ffmpeg / seconds,
  };
}
