// The zod the shared schemas are written with. zod/mini, not classic zod: the client bundles these schemas,
// and mini's functions tree-shake to what is used where classic's methods cannot (docs/decisions.md has the
// sizes). Import it as a namespace (`import * as z`): esbuild keeps the whole library behind `import { z }`.
import * as z from "zod/mini";
import { en } from "zod/locales";

// Mini ships no messages of its own ("Invalid input" for everything). English ones, the same classic zod
// gives, keep the server's `bad-message` answers and the client's reports of a bad server message readable.
z.config(en());

export * from "zod/mini";
