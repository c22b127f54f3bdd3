# Tessera: a slim Node 20 image running `npm start` as a non-root user.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0

WORKDIR /app
COPY package.json package-lock.json ./
# tsx and esbuild are runtime dependencies (the server runs TypeScript and bundles the client at start).
RUN npm ci --omit=dev --no-audit --no-fund \
 && chmod +x node_modules/@ffmpeg-installer/linux-x64/ffmpeg \
 && npm cache clean --force

COPY src ./src
COPY mixer ./mixer
COPY client ./client
COPY tsconfig.json ./

USER node
EXPOSE 8080
# The WebRTC media ports: publish the range you set with ICE_PORT_MIN/ICE_PORT_MAX (UDP).
EXPOSE 40000-40100/udp
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]
