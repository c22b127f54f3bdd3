import type { Request, RequestHandler } from "express";
import { roomNameSchema } from "../../protocol/roomName.js";
import { z } from "zod";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import type { Logger } from "../log.js";
import type { Cluster, NodeRef } from "./cluster.js";

/** Marks a request one node forwarded to another: the receiver answers it itself, never forwards it again. */
export const FORWARDED_HEADER = "x-tessera-forwarded-by";
const FORWARD_TIMEOUT_MS = 5000;

export interface ApiForwardingOptions {
  readonly rooms: RoomRegistry;
  readonly cluster: Cluster;
  readonly log: Logger;
}

/**
 * For /api/rooms/:room/...: a room that is not on this node but on another live node is handled there.
 * The request goes to that node's NODE_URL as it came (method, path, JSON body, the caller's bearer token)
 * and its answer comes back unchanged; an unreachable node is a 502 naming it.
 */
export function forwardToRoomNode(options: ApiForwardingOptions): RequestHandler {
  return async (req, res, next) => {
    if (req.get(FORWARDED_HEADER) !== undefined) return next();
    const name = z.safeParse(roomNameSchema, req.params.room);
    if (!name.success) return next();
    const local = options.rooms.get(name.data);
    if (local && !local.isClosing) return next();
    let node: NodeRef | undefined;
    try {
      node = await options.cluster.locate(name.data);
    } catch {
      // No directory: only this node's rooms are known, and this one is not among them.
      return next();
    }
    if (!node) return next();
    try {
      const answer = await forward(req, node);
      res.status(answer.status);
      const type = answer.headers.get("content-type");
      if (type) res.type(type);
      res.send(Buffer.from(await answer.arrayBuffer()));
    } catch (err) {
      options.log.warn("forwarding an API request failed", { room: name.data, to: node.id, error: (err as Error).message });
      res
        .status(502)
        .json({ error: "node-unreachable", message: `room "${name.data}" is on node ${node.id} (${node.url}), which did not answer` });
    }
  };
}

function forward(req: Request, node: NodeRef): Promise<Response> {
  const headers: Record<string, string> = { [FORWARDED_HEADER]: "1" };
  const authorization = req.get("authorization");
  if (authorization) headers.authorization = authorization;
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "DELETE" && req.body !== undefined;
  if (hasBody) headers["content-type"] = "application/json";
  return fetch(new URL(req.originalUrl, node.url), {
    method: req.method,
    headers,
    body: hasBody ? JSON.stringify(req.body) : undefined,
    signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    redirect: "manual",
  });
}
