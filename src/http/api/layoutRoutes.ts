import type { Router } from "express";
import type { ApiDeps } from "./apiDeps.js";

export function layoutRoutes(_router: Router, _deps: ApiDeps): void {}
