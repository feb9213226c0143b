// Builds the package's component/ folder from the component the binary embeds:
//
//   node npm/build.mjs [COMPONENT.wasm]     (default: target/wasm-components/konecty_session_guest.wasm)
//
// jco transpiles it (async instantiation, so that grant.js supplies every import) and its
// SHA-256 is recorded in component/digest.js, so a package names the build it came from.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { transpile } from "@bytecodealliance/jco";

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? join(here, "../target/wasm-components/konecty_session_guest.wasm");
const wasm = await readFile(source).catch((error) => {
  console.error(`cannot read the component ${source}: ${error.code ?? error.message} (build it with: cargo build)`);
  process.exit(1);
});
const out = join(here, "component");
await rm(out, { recursive: true, force: true });
const { files } = await transpile(wasm, { name: "session", instantiation: "async", quiet: true });
for (const [name, bytes] of Object.entries(files)) {
  await mkdir(dirname(join(out, name)), { recursive: true });
  await writeFile(join(out, name), bytes);
}
const sha256 = createHash("sha256").update(wasm).digest("hex");
await writeFile(
  join(out, "digest.js"),
  `// SHA-256 of the konecty:session component this folder was transpiled from.\nexport const componentSha256 = "${sha256}";\n`,
);
console.log(`component/ from ${source} (sha256 ${sha256})`);
