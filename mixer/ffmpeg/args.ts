/**
 * A small typed description of an ffmpeg command line. Jobs are described as data (inputs, a filter
 * chain, one output) and turned into argv here, so no caller ever concatenates a shell string.
 */
export type OptionValue = string | number | boolean;
export type Options = Readonly<Record<string, OptionValue>>;

export interface FilterNode {
  readonly name: string;
  readonly args?: Options;
}

export interface FfmpegInput {
  readonly format: string;
  readonly url: string;
  readonly options?: Options;
}

export interface FfmpegOutput {
  readonly format: string;
  readonly url: string;
  readonly videoFilters?: readonly FilterNode[];
  readonly options?: Options;
}

export interface FfmpegJob {
  readonly logLevel?: "quiet" | "error" | "warning" | "info";
  readonly inputs: readonly FfmpegInput[];
  readonly output: FfmpegOutput;
}

export function filterChain(nodes: readonly FilterNode[]): string {
  return nodes
    .map(({ name, args }) => {
      const rendered = args ? filterArgs(args) : "";
      return rendered ? `${name}=${rendered}` : name;
    })
    .join(",");
}

/** One filter's arguments as FFmpeg's filter syntax writes them (`w=426:h=360`), each value escaped. */
export function filterArgs(args: Options): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${escapeFilterValue(String(v))}`)
    .join(":");
}

function escapeFilterValue(value: string): string {
  return value.replace(/[\\:,;'[\]=]/g, (c) => `\\${c}`);
}

function optionArgs(options: Options | undefined): string[] {
  if (!options) return [];
  return Object.entries(options).flatMap(([key, value]) => {
    if (value === false) return [];
    return value === true ? [`-${key}`] : [`-${key}`, String(value)];
  });
}

export function buildArgs(job: FfmpegJob): string[] {
  const args = ["-hide_banner", "-nostdin", "-loglevel", job.logLevel ?? "error"];
  for (const input of job.inputs) {
    args.push(...optionArgs(input.options), "-f", input.format, "-i", input.url);
  }
  const { output } = job;
  if (output.videoFilters?.length) args.push("-vf", filterChain(output.videoFilters));
  args.push(...optionArgs(output.options), "-f", output.format, output.url);
  return args;
}
