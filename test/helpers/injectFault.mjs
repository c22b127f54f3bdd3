// Loaded before src/main.ts (node --import) by test/integration/processFaults.test.ts: on SIGUSR2 (sent
// once the server listens) throws, where nobody catches it, what INJECT_FAULT names: `error` an Error,
// `string` a thrown string (what a native addon or a broken library might throw).
process.on("SIGUSR2", () =>
  setImmediate(() => {
    if (process.env.INJECT_FAULT === "string") throw "a thrown string";
    throw new Error("injected fault: nobody catches this");
  }),
);
