// Stand-ins for a device someone joins without (sound only, or camera only), for the SFU: its server wants an audio
// and a video section from every sender and keeps the order of the first offer's m-sections in its own offers, so a
// missing kind cannot simply be left out or made receive-only. The stand-in sends black frames / silence and
// the server is told that device is off (others see the name card).

export interface Placeholders {
  /** The stream to offer: the real tracks plus a stand-in for each kind missing. */
  readonly stream: MediaStream;
  stop(): void;
}

export function withPlaceholders(local: MediaStream): Placeholders {
  const added: MediaStreamTrack[] = [];
  let audioContext: AudioContext | null = null;
  if (local.getAudioTracks().length === 0) {
    audioContext = new AudioContext();
    const track = audioContext.createMediaStreamDestination().stream.getAudioTracks()[0];
    if (track) added.push(track);
  }
  if (local.getVideoTracks().length === 0) {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    canvas.getContext("2d")?.fillRect(0, 0, canvas.width, canvas.height);
    const track = canvas.captureStream(1).getVideoTracks()[0];
    if (track) {
      // Disabled: the encoder sends black frames at a trickle, whatever the canvas holds.
      track.enabled = false;
      added.push(track);
    }
  }
  return {
    stream: added.length === 0 ? local : new MediaStream([...local.getTracks(), ...added]),
    stop() {
      for (const track of added) track.stop();
      void audioContext?.close();
    },
  };
}
