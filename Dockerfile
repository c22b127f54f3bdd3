# Tessera: built in one stage, run from the bundle (dist/) in a slim one, as the unprivileged `node` user.
#   docker build -t tessera .     run: see the README's Docker section (HTTP port, UDP range, volume).
# The development machines run no Docker engine, so this file has not been built there: it is kept correct
# by reading. Check a change with a real `docker build` and `docker run` before relying on it.

# ---- build: all dependencies, the compiler for the native Opus addon, `npm run build` ----------------------
# Same Node major as the runtime stage: @discordjs/opus is compiled here against this Node's headers and
# copied over as it is.
FROM node:22-bookworm AS build

ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app
# @discordjs/opus builds libopus with node-gyp when its prebuilt binary cannot be downloaded. The full
# node image already has python3, make and g++; named here so the build does not depend on that.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
# npm ci's postinstall applies patches/ (fixes carried for werift until upstream has them: docs/decisions.md).
COPY patches ./patches
COPY scripts/patchDependencies.mjs ./scripts/
RUN npm ci --no-audit --no-fund

COPY tsconfig.json ./
COPY scripts ./scripts
COPY protocol ./protocol
COPY src ./src
COPY mixer ./mixer
COPY client ./client
# Build with the devDependencies (esbuild), then drop them: the runtime needs neither esbuild nor tsx.
# The runtime uses Debian's ffmpeg (below), so the 2018 static build from @ffmpeg-installer (its
# platform package, ~75 MB) is removed too: one ffmpeg in the image, patched by apt.
# The require fails the build here if the native Opus addon did not build or does not load.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/@ffmpeg-installer/linux-* node_modules/@ffmpeg-installer/darwin-* node_modules/@ffmpeg-installer/win32-* \
 && node -e "require('@discordjs/opus')" \
 && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------------------
# Node 22 (20 is end of life); the code also runs on the development machines' Node 20.
FROM node:22-bookworm-slim

# Debian's ffmpeg decodes what anyone in a room sends, so it must be one that gets security fixes (the
# static build @ffmpeg-installer ships is from 2018). Names in the mix are drawn by Skia (@napi-rs/canvas,
# prebuilt for linux-x64/arm64 glibc) with Debian's Noto fonts: Latin, Greek, Cyrillic, Arabic, Hebrew,
# Indic and Thai (core), Hangul, Han and kana (cjk), emoji; DejaVu is what ffmpeg's fontconfig pulls in anyway.
# tini is PID 1: it forwards SIGTERM to node and reaps any ffmpeg orphaned if the server itself dies, so
# `docker run --init` is not needed (nor available everywhere the image runs).
# bash with pipefail, so the version check fails the build rather than `head` succeeding for it.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji tini \
 && rm -rf /var/lib/apt/lists/* \
 && /usr/bin/ffmpeg -hide_banner -version | head -n 1

ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    ICE_PORT_MIN=40000 \
    ICE_PORT_MAX=40100 \
    RECORDINGS_DIR=/data/recordings \
    FFMPEG_PATH=/usr/bin/ffmpeg

WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Only so that `npm start` also works in the image (with no sources beside it, dist/ is never stale).
COPY --from=build /app/scripts ./scripts

# The volume's mount point must exist and belong to `node` before the volume is created from it.
RUN mkdir -p /data/recordings && chown -R node:node /data
VOLUME ["/data/recordings"]

USER node
EXPOSE 8080
# WebRTC media (UDP). Publish the same range, and change ICE_PORT_MIN/ICE_PORT_MAX with it.
EXPOSE 40000-40100/udp

HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM closes every room (recordings are finished) within SHUTDOWN_GRACE_MS (10 s): run with
# --stop-timeout 15 so Docker does not SIGKILL it first. node runs the bundle directly, not through
# `npm start`: the image is built once, so there is nothing to check or rebuild, and no npm process in
# between to hold memory or forward signals. --enable-source-maps: stack traces in the logs name src/ files.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
