/**
 * The server's settings for churn. The mix is 640x360 instead of 1280x720: three 720p encoders would
 * take most of a 2-core machine by themselves, and what is under test is joining and leaving (peers,
 * decoders, rooms opening and closing), not encoding capacity, which `npm run bench` measures.
 */
export function soakServerEnv(recordingsDir: string): Record<string, string> {
  // Cut sockets are held for a reconnect that never comes: 3 s instead of 15 keeps each departure well
  // inside the ghost check's 15 s while still exercising the held places.
  return { RECORDINGS_DIR: recordingsDir, OUTPUT_WIDTH: "640", OUTPUT_HEIGHT: "360", MAX_SENDERS: "6", RECONNECT_GRACE_MS: "3000" };
}
