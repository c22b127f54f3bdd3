import { Filter, FilterGraph, type FilterContext, type Frame } from "node-av/lib";
import { filterArgs } from "../ffmpeg/args.js";
import type { Size } from "../layout/gridLayout.js";
import type { DecoderFit } from "./participantDecoder.js";
import { tileFilters } from "./tileFilters.js";

/** The decoded picture's shape a graph was built for: a new one (a sender's new resolution, a new SPS) needs a new graph. */
const shapeOf = (f: Frame) => `${f.width}x${f.height}:${f.format}:${f.sampleAspectRatio.num}/${f.sampleAspectRatio.den}`;

/**
 * A decoded picture of any size and pixel format in, the tile's I420 out, through the very filters an ffmpeg
 * child decoder runs (tileFilters): FFmpeg's filter graph in this process, one thread, rebuilt when the
 * decoded picture's shape changes. Not safe to use from two places at once: the decoder calls it in turn.
 */
export class TileScaler {
  private graph: FilterGraph | undefined;
  private source: FilterContext | undefined;
  private sink: FilterContext | undefined;
  private shape = "";

  constructor(
    private readonly size: Size,
    private readonly fit: DecoderFit,
  ) {}

  /**
   * Scales `decoded` into `out` (taking `decoded`'s picture: it is empty after). The filtering itself runs on
   * libuv's thread pool. Resolves false if FFmpeg refused: the graph is dropped and the next picture builds another.
   */
  async scale(decoded: Frame, out: Frame): Promise<boolean> {
    const shape = shapeOf(decoded);
    if (shape !== this.shape) {
      this.free();
      if (!(await this.build(decoded))) return false;
      this.shape = shape;
    }
    if (this.source!.buffersrcAddFrameSync(decoded) < 0 || (await this.sink!.buffersinkGetFrame(out)) < 0) {
      this.free();
      return false;
    }
    return true;
  }

  free(): void {
    this.graph?.free();
    this.graph = this.source = this.sink = undefined;
    this.shape = "";
  }

  private async build(decoded: Frame): Promise<boolean> {
    const graph = new FilterGraph();
    graph.alloc();
    // One thread: six inputs already spread over the pool; a graph's own threads would only contend with them.
    graph.nbThreads = 1;
    this.graph = graph;
    const sar = decoded.sampleAspectRatio;
    const source = graph.createFilter(
      Filter.getByName("buffer")!,
      "in",
      `video_size=${decoded.width}x${decoded.height}:pix_fmt=${decoded.format}:time_base=1/90000:pixel_aspect=${sar.num || 1}/${sar.den || 1}`,
    );
    const sink = graph.createFilter(Filter.getByName("buffersink")!, "out", null);
    if (!source || !sink) return false;
    let previous = source;
    for (const [i, node] of tileFilters(this.size, this.fit).entries()) {
      const filter = Filter.getByName(node.name);
      const context = filter && graph.createFilter(filter, `${node.name}${i}`, node.args ? filterArgs(node.args) : null);
      if (!context || previous.link(0, context, 0) < 0) return false;
      previous = context;
    }
    if (previous.link(0, sink, 0) < 0 || (await graph.config()) < 0) return false;
    this.source = source;
    this.sink = sink;
    return true;
  }
}
