# Tessera: a slim Node 20 image running `npm start` as the unprivileged `node` user.
# Build: docker build -t tessera .   Run: see the README's Docker section (HTTP port, UDP range, volume).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    ICE_PORT_MIN=40000 \
    ICE_PORT_MAX=40100 \
    RECORDINGS_DIR=/data/recordings \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app
COPY package.json package-lock.json ./
# tsx and esbuild are runtime dependencies (the server runs TypeScript and bundles the client at start).
# npm may skip install scripts, so the static ffmpeg is made executable here; its path is resolved, not
# hard-coded, so an arm64 build picks the arm64 binary. The version check fails the build if it cannot run.
# bash with pipefail, so the ffmpeg check below fails the build rather than `head` succeeding for it.
# @discordjs/opus builds libopus with node-gyp when its prebuilt binary cannot be downloaded: the compiler
# is installed for that step and removed in the same layer.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --no-audit --no-fund \
 && apt-get purge -y --auto-remove python3 make g++ \
 && rm -rf /var/lib/apt/lists/* \
 && ffmpeg_bin="$(node -e "console.log(require('@ffmpeg-installer/ffmpeg').path)")" \
 && chmod 0755 "$ffmpeg_bin" \
 && "$ffmpeg_bin" -hide_banner -version | head -n 1 \
 && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY mixer ./mixer
COPY client ./client

# The volume's mount point must exist and belong to `node` before the volume is created from it.
RUN mkdir -p /data/recordings && chown -R node:node /data
VOLUME ["/data/recordings"]

USER node
EXPOSE 8080
# WebRTC media (UDP). Publish the same range, and change ICE_PORT_MIN/ICE_PORT_MAX with it.
EXPOSE 40000-40100/udp

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM closes every room (recordings are finished) within SHUTDOWN_GRACE_MS (10 s): run with
# --stop-timeout 15 so Docker does not SIGKILL it first. The start script execs node, so npm's forwarded SIGTERM reaches the server.
STOPSIGNAL SIGTERM
CMD ["npm", "start"]
