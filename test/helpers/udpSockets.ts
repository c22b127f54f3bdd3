import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** UDP sockets the process holds open: its socket fds whose inodes /proc/net/udp and udp6 list. */
export function udpSocketCount(pid: number | "self" = "self"): number {
  const udpInodes = new Set<string>();
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode) udpInodes.add(inode);
    }
  }
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && udpInodes.has(inode)) count++;
  }
  return count;
}
