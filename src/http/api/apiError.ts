import type { Response } from "express";

/** Every control-API failure has this JSON shape, with a message naming the problem. */
export interface ApiErrorBody {
  readonly error: string;
  readonly message: string;
}

/** Thrown by route handlers; the router turns it into `status` and an ApiErrorBody. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendApiError(res: Response, status: number, code: string, message: string): void {
  const body: ApiErrorBody = { error: code, message };
  res.status(status).json(body);
}
