import type { Router } from "express";
import type { ApiDeps } from "./apiDeps.js";

export function roomRoutes(_router: Router, _deps: ApiDeps): void {}
