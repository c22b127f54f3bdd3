// Loaded with --import: any import of the Redis client fails, so a test can prove a code path never loads it.
import { register } from "node:module";

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === "@redis/client" || specifier.startsWith("@redis/")) throw new Error("forbidden: the Redis client was loaded");
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
