// `npm run token -- --room R --name N [--viewer] [--record] [--ttl SECONDS] [--sub ID]`: mints a join token
// with this machine's JOIN_TOKEN_SECRET and prints it with its join link, as POST /api/tokens answers.
import { parseArgs } from "node:util";
import { joinLink } from "../access/joinLink.js";
import { DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S, mintJoinToken } from "../access/joinToken.js";
import { ConfigError, configFromEnv } from "../config.js";
import { cleanDisplayName } from "../../protocol/displayName.js";
import { isRoomName, ROOM_NAME_RULE } from "../../protocol/roomName.js";

const USAGE = "usage: npm run token -- --room ROOM --name NAME [--viewer] [--record] [--ttl SECONDS] [--sub IDENTITY]";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      room: { type: "string" },
      name: { type: "string" },
      viewer: { type: "boolean", default: false },
      record: { type: "boolean", default: false },
      ttl: { type: "string" },
      sub: { type: "string" },
    },
    strict: true,
  }).values;
} catch (err) {
  fail((err as Error).message);
}
let config;
try {
  config = configFromEnv();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
const secret = config.joinTokenSecret;
if (!secret) fail("JOIN_TOKEN_SECRET is not set: the server's secret is needed to sign a token it will accept");
if (!args.room || !isRoomName(args.room)) fail(`--room is required (${ROOM_NAME_RULE})`);
const name = cleanDisplayName(args.name ?? "");
if (!args.name || !name.ok) fail(`--name is required${name.ok ? "" : `: the ${name.problem}`}`);
const ttlSeconds = args.ttl === undefined ? DEFAULT_TOKEN_TTL_S : Number(args.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds < 10 || ttlSeconds > MAX_TOKEN_TTL_S)
  fail(`--ttl must be a whole number of seconds from 10 to ${MAX_TOKEN_TTL_S}`);

const grant = { room: args.room, name: name.name, role: args.viewer ? ("viewer" as const) : ("sender" as const) };
const token = await mintJoinToken(secret, { ...grant, record: args.record, ttlSeconds, ...(args.sub ? { sub: args.sub } : {}) });
const base = config.publicUrl ?? `http://localhost:${config.port}`;
process.stdout.write(`${JSON.stringify({ token, url: joinLink(base, grant, token) }, null, 2)}\n`);
