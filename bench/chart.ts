/** A dependency-free SVG line chart: the bench's figures as a picture a browser or a README shows. */
export interface Series {
  readonly label: string;
  readonly colour: string;
  readonly points: readonly { x: number; y: number }[];
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], width = 480, height = 300): string {
  const margin = { left: 60, right: 110, top: 30, bottom: 40 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const xMin = Math.min(...xs, 0) || 0;
  const xMax = Math.max(...xs, 1);
  const yMax = Math.max(...all.map((p) => p.y), 1e-9) * 1.1;
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin || 1)) * (width - margin.left - margin.right);
  const py = (y: number) => height - margin.bottom - (y / yMax) * (height - margin.top - margin.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return [
    `<g>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${margin.left}" y1="${py(0)}" x2="${width - margin.right}" y2="${py(0)}" stroke="#888"/>`,
    `<line x1="${margin.left}" y1="${py(0)}" x2="${margin.left}" y2="${margin.top}" stroke="#888"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${margin.left - 6}" y="${py(t) + 4}" text-anchor="end" font-size="10">${t >= 100 ? t.toFixed(0) : t.toFixed(2)}</text>`,
    ),
    ...[...new Set(xs)].map((x) => `<text x="${px(x)}" y="${py(0) + 14}" text-anchor="middle" font-size="10">${x}</text>`),
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
    `<text x="14" y="${height / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${height / 2})">${esc(yLabel)}</text>`,
    ...series.flatMap((s, i) => [
      `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.points.map((p) => `${px(p.x)},${py(p.y)}`).join(" ")}"/>`,
      ...s.points.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${s.colour}"/>`),
      `<text x="${width - margin.right + 8}" y="${margin.top + 14 + i * 16}" font-size="11" fill="${s.colour}">${esc(s.label)}</text>`,
    ]),
    `</g>`,
  ].join("\n");
}

/** Charts side by side in one SVG document. */
export function svgDocument(charts: readonly string[], width = 480, height = 300): string {
  const body = charts.map((c, i) => `<g transform="translate(${i * width},0)">${c}</g>`).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${charts.length * width}" height="${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
