import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { execFileSync } from "node:child_process";

/** The relative imports (type-only included) of every tracked .ts file under `folders`: file to files. */
export function importGraph(root: string, folders: readonly string[]): Map<string, string[]> {
  const files = execFileSync("git", ["ls-files", ...folders.map((f) => `${f}/*.ts`)], { cwd: root, encoding: "utf8" })
    .trim()
    .split("\n")
    .filter((f) => f && !f.endsWith(".test.ts") && !f.endsWith(".d.ts"));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const targets = new Set<string>();
    for (const [, spec] of text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)) {
      const resolved = relative(root, join(root, dirname(file), spec.replace(/\.js$/, ".ts")));
      if (existsSync(join(root, resolved))) targets.add(resolved);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The import circles: strongly connected components of more than one file (Tarjan), each sorted. */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return circles;
}
