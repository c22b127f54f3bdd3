import { createSocket, type Socket } from "node:dgram";
import { Random } from "../../soak/churn/random.js";

/**
 * The UDP recipes of issue 18, byte for byte, and a seeded generator of garbage that looks enough like STUN,
 * DTLS, RTP and RTCP to get past RFC 7983's first-byte demultiplexing. Everything goes to 127.0.0.1 only.
 */

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** RTP with X=1, profile 0xBEDE and an extension of 16,000 words in a 40-byte datagram (it froze the server for 90 s). */
export const rtpExtensionPastTheEnd = (): Buffer => Buffer.concat([hex("9060 0000 00000000 12345678 BEDE 3E80"), Buffer.alloc(24)]);

/** A plaintext epoch-0 DTLS alert: warning, close_notify (it silently cut a participant off). */
export const plaintextCloseNotify = (): Buffer => hex("15 fefd 0000 000000000000 0002 01 00");

/** A truncated HelloVerifyRequest (it failed the DTLS transport through werift's onError). */
export const truncatedHelloVerifyRequest = (): Buffer => hex("16 fefd 0000 000000000000 000d 03 000001 0000 000000 000001 fe");

/** A plaintext epoch-0 Finished (handshake type 20, a 12-byte body): werift's client took any as the handshake's end. */
export const plaintextFinished = (): Buffer =>
  Buffer.concat([hex("16 fefd 0000 000000000000 0018 14 00000c 0000 000000 00000c"), Buffer.alloc(12, 0xab)]);

const MAGIC_COOKIE = 0x2112a442;

/** A STUN Binding request with a USERNAME and no MESSAGE-INTEGRITY: what a reflector's client sends. */
export function stunBindingWithoutIntegrity(username: string, transactionId: Buffer): Buffer {
  const name = Buffer.from(username, "utf8");
  const padded = Math.ceil(name.length / 4) * 4;
  const attr = Buffer.alloc(4 + padded);
  attr.writeUInt16BE(0x0006, 0);
  attr.writeUInt16BE(name.length, 2);
  name.copy(attr, 4);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(attr.length, 2);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8, 0, 12);
  return Buffer.concat([header, attr]);
}

/**
 * One handshake fragment of a message that never completes (DTLS epoch 0, ClientHello-sized claims): the
 * fragments were buffered without limit.
 */
export function dtlsNeverCompletingFragment(sequence: number, fragmentBytes: number): Buffer {
  const body = Buffer.alloc(fragmentBytes, 0x5a);
  const handshake = Buffer.alloc(12);
  handshake.writeUInt8(11, 0); // certificate
  handshake.writeUIntBE(16 * 1024 * 1024 - 1, 1, 3); // total length: never reached
  handshake.writeUInt16BE(1, 4);
  handshake.writeUIntBE(sequence * fragmentBytes, 6, 3);
  handshake.writeUIntBE(fragmentBytes, 9, 3);
  const record = Buffer.alloc(13);
  record.writeUInt8(22, 0);
  record.writeUInt16BE(0xfefd, 1);
  record.writeUInt16BE(0, 3);
  record.writeUIntBE(sequence, 5, 6);
  record.writeUInt16BE(handshake.length + body.length, 11);
  return Buffer.concat([record, handshake, body]);
}

/** A seeded generator (the soak's mulberry32): the campaign is the same datagrams every run. */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

export type GarbageKind = "stun" | "dtls" | "rtp" | "rtcp";

/** One garbage datagram of the kind: a valid-looking first byte (RFC 7983), then lengths and fields at random. */
export function garbage(kind: GarbageKind, random: () => number): Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  switch (kind) {
    case "stun": {
      const message = bytes(20 + 4 * int(40));
      message.writeUInt16BE(int(4) === 0 ? 0x0001 : int(0x4000), 0);
      message.writeUInt16BE(int(2) === 0 ? message.length - 20 : int(65536), 2);
      if (int(4) !== 0) message.writeUInt32BE(MAGIC_COOKIE, 4);
      return message;
    }
    case "dtls": {
      const record = bytes(13 + int(300));
      record[0] = 20 + int(4); // change_cipher_spec, alert, handshake, application_data
      record.writeUInt16BE(int(3) === 0 ? int(65536) : 0xfefd, 1);
      record.writeUInt16BE(int(3) === 0 ? int(3) : 0, 3);
      record.writeUInt16BE(int(2) === 0 ? record.length - 13 : int(65536), 11);
      if (record[0] === 22 && record.length > 13) record[13] = int(25);
      return record;
    }
    case "rtp": {
      const packet = bytes(12 + int(1200));
      packet[0] = 0x80 | (int(2) << 4) | (int(2) << 5) | int(16);
      packet[1] = int(2) === 0 ? 96 + int(32) : int(256) & 0x7f;
      if (packet[0] & 0x10 && packet.length >= 16 + 4 * packet[0])
        packet.writeUInt16BE(int(2) === 0 ? 0xbede : 0x1000, 12 + 4 * (packet[0] & 0x0f));
      return packet;
    }
    case "rtcp": {
      const packet = bytes(8 + int(200));
      packet[0] = 0x80 | int(32);
      packet[1] = 192 + int(32);
      packet.writeUInt16BE(int(2) === 0 ? (packet.length >> 2) - 1 : int(65536), 2);
      return packet;
    }
  }
}

/** A UDP socket on 127.0.0.1 that counts what comes back to it (a reflector's victim would receive it). */
export class AttackSocket {
  bytesReceived = 0;
  datagramsReceived = 0;
  /** STUN that came back (first byte 0-3, RFC 7983): an answer or a triggered check, what a reflector returns. */
  stunReceived = 0;
  /** The first datagram that came back, and from which port: what answered. */
  firstReceived: { port: number; hex: string } | undefined;
  private constructor(readonly socket: Socket) {
    socket.on("message", (msg, from) => {
      this.firstReceived ??= { port: from.port, hex: msg.toString("hex") };
      if (msg[0] < 4) this.stunReceived++;
      this.datagramsReceived++;
      this.bytesReceived += msg.length;
    });
    socket.on("error", () => undefined);
  }

  /**
   * Binds an ephemeral port outside `avoid` (inclusive): the kernel may hand out a port inside the ICE range
   * under attack, and a socket there would receive the other attack sockets' datagrams as if the server had
   * answered (seen once in CI: 200 "answers" that were the test's own requests).
   */
  static async open(avoid?: readonly [number, number]): Promise<AttackSocket> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const { port } = socket.address();
      if (!avoid || port < avoid[0] || port > avoid[1]) return new AttackSocket(socket);
      socket.close();
    }
    throw new Error(`no ephemeral UDP port outside ${avoid?.join("-")} in 20 tries`);
  }

  send(datagram: Buffer, port: number): Promise<void> {
    return new Promise((resolve) => this.socket.send(datagram, port, "127.0.0.1", () => resolve()));
  }

  close(): void {
    this.socket.close();
  }
}
