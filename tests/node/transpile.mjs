// node transpile.mjs COMPONENT.wasm OUT_DIR: jco's async-instantiation output, as the npm
// package's build makes it, for components the package does not ship (the hostile one).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { transpile } from "@bytecodealliance/jco";

const [component, out] = process.argv.slice(2);
const { files } = await transpile(await readFile(component), {
  name: "session",
  instantiation: "async",
  quiet: true,
});
for (const [name, bytes] of Object.entries(files)) {
  await mkdir(dirname(join(out, name)), { recursive: true });
  await writeFile(join(out, name), bytes);
}
