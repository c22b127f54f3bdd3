import { describe, expect, it } from "vitest";
import { iceServerLinks } from "./iceServerLinks.js";

describe("iceServerLinks", () => {
  const cases = [
    { name: "STUN: the URL alone", server: { urls: ["stun:stun.example.net"] }, want: ['<stun:stun.example.net>; rel="ice-server"'] },
    {
      name: "TURN with credentials, one value per URL",
      server: {
        urls: ["turn:t.example.net?transport=udp", "turns:t.example.net:5349"],
        username: "1767272400:ab12",
        credential: "c2VjcmV0",
      },
      want: [
        '<turn:t.example.net?transport=udp>; rel="ice-server"; username="1767272400:ab12"; credential="c2VjcmV0"; credential-type="password"',
        '<turns:t.example.net:5349>; rel="ice-server"; username="1767272400:ab12"; credential="c2VjcmV0"; credential-type="password"',
      ],
    },
    {
      name: "quotes and backslashes escaped",
      server: { urls: ["turn:t"], username: 'a"b', credential: "c\\d" },
      want: ['<turn:t>; rel="ice-server"; username="a\\"b"; credential="c\\\\d"; credential-type="password"'],
    },
    {
      name: "a username without a credential is left out",
      server: { urls: ["turn:t"], username: "u" },
      want: ['<turn:t>; rel="ice-server"'],
    },
  ];
  for (const c of cases) it(c.name, () => expect(iceServerLinks(c.server)).toEqual(c.want));
});
