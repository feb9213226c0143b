// jco's async-instantiation output of a component, as the npm package's build makes it:
//
//   node transpile.mjs COMPONENT.wasm OUT_DIR   (for components the package does not ship,
//                                                such as the hostile one)
//
// component.mjs imports transpileTo for the bare component.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { transpile } from "@bytecodealliance/jco";

/** Transpiles the component at `componentPath` into `outDir`; returns jco's import list. */
export async function transpileTo(componentPath, outDir) {
  const { files, imports } = await transpile(await readFile(componentPath), {
    name: "session",
    instantiation: "async",
    quiet: true,
  });
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(outDir, name)), { recursive: true });
    await writeFile(join(outDir, name), bytes);
  }
  return imports;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [component, out] = process.argv.slice(2);
  await transpileTo(component, out);
}
