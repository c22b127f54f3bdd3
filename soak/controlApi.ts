import { httpRequest, type HttpResponse } from "./http.js";

/** The parts of the control API (docs/api.md) the soak uses, typed as the docs describe them. */

export interface ApiParticipant {
  readonly id: string;
  readonly name: string;
  readonly role: "sender" | "viewer";
}

export interface ApiRecording {
  readonly id: string;
  readonly room: string;
  readonly bytes: number;
  readonly stoppedAt?: string;
  readonly interrupted?: boolean;
}

export interface ApiRoomSummary {
  readonly name: string;
  readonly participants: number;
}

export class ControlApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private call(method: "GET" | "POST" | "DELETE", path: string): Promise<HttpResponse> {
    return httpRequest(`${this.baseUrl}/api${path}`, { method, token: this.token });
  }

  private static json<T>(response: HttpResponse, what: string): T {
    try {
      return JSON.parse(response.body) as T;
    } catch {
      throw new Error(`${what}: answer ${response.status} is not JSON: ${response.body.slice(0, 200)}`);
    }
  }

  async rooms(): Promise<ApiRoomSummary[]> {
    const r = await this.call("GET", "/rooms");
    if (r.status !== 200) throw new Error(`GET /api/rooms: ${r.status} ${r.body.slice(0, 200)}`);
    return ControlApi.json<{ rooms: ApiRoomSummary[] }>(r, "GET /api/rooms").rooms;
  }

  /** The room's participants, or undefined when no such room is open. */
  async participants(room: string): Promise<ApiParticipant[] | undefined> {
    const r = await this.call("GET", `/rooms/${encodeURIComponent(room)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET /api/rooms/${room}: ${r.status} ${r.body.slice(0, 200)}`);
    return ControlApi.json<{ participants: ApiParticipant[] }>(r, `GET /api/rooms/${room}`).participants;
  }

  kick(room: string, id: string): Promise<HttpResponse> {
    return this.call("DELETE", `/rooms/${encodeURIComponent(room)}/participants/${encodeURIComponent(id)}`);
  }

  startRecording(room: string): Promise<HttpResponse> {
    return this.call("POST", `/rooms/${encodeURIComponent(room)}/recording/start`);
  }

  stopRecording(room: string): Promise<HttpResponse> {
    return this.call("POST", `/rooms/${encodeURIComponent(room)}/recording/stop`);
  }

  async recordings(): Promise<ApiRecording[]> {
    const r = await this.call("GET", "/recordings");
    if (r.status !== 200) throw new Error(`GET /api/recordings: ${r.status} ${r.body.slice(0, 200)}`);
    return ControlApi.json<{ recordings: ApiRecording[] }>(r, "GET /api/recordings").recordings;
  }

  /** The recording's timeline, one parsed JSON line each. */
  async timeline(id: string): Promise<{ kind: string; reason?: string }[]> {
    const r = await this.call("GET", `/recordings/${encodeURIComponent(id)}/timeline`);
    if (r.status !== 200) throw new Error(`GET /api/recordings/${id}/timeline: ${r.status} ${r.body.slice(0, 200)}`);
    return r.body
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { kind: string; reason?: string });
  }

  deleteRecording(id: string): Promise<HttpResponse> {
    return this.call("DELETE", `/recordings/${encodeURIComponent(id)}`);
  }

  static recording(response: HttpResponse): ApiRecording {
    return ControlApi.json<ApiRecording>(response, "recording");
  }
}
