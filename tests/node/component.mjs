// Runs the konecty:session component under Node: transpiled by jco, WASI from
// @bytecodealliance/preview2-shim, with one directory preopened as "." and outgoing HTTP.
//
//   node component.mjs COMPONENT.wasm OUT_DIR PREOPEN_DIR
//
// Transpiles COMPONENT.wasm into OUT_DIR, instantiates it, prints one JSON line
// {"ready": true, "imports": [...], "functions": [...]}, then answers each JSON line on stdin,
// {"call": "requestOtp", "args": [...]}, with one JSON line on stdout:
// {"ok": value} (null for a unit result), {"err": payload} for the WIT `error` variant, or
// {"fault": text} for anything else (a trap, a shim error). Values are jco's: records as
// camelCase objects, variants as {tag, val}, enums as strings, options as value or null,
// flags as objects of booleans, u64 as numbers.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";
import { transpileTo } from "./transpile.mjs";

const [componentPath, outDir, preopen] = process.argv.slice(2);
if (!preopen) {
  console.error("usage: node component.mjs COMPONENT.wasm OUT_DIR PREOPEN_DIR");
  process.exit(2);
}
const line = (value) =>
  process.stdout.write(
    JSON.stringify(value, (_key, v) =>
      typeof v === "bigint" ? Number(v) : v === undefined ? null : v,
    ) + "\n",
  );

const imports = await transpileTo(componentPath, outDir);
const { instantiate } = await import(pathToFileURL(join(outDir, "session.js")).href);

// Only the credentials directory, as ".", no environment, no arguments; HTTP is left on.
const shim = new WASIShim({ sandbox: { preopens: { ".": preopen }, env: {}, args: [] } });
const instance = await instantiate(
  async (name) => WebAssembly.compile(await readFile(join(outDir, name))),
  shim.getImportObject(),
);
const api = instance["konecty:session/api@0.4.0"] ?? instance.api;
line({ ready: true, imports, exports: Object.keys(instance).sort(), functions: Object.keys(api).sort() });

for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!text.trim()) continue;
  const { call, args } = JSON.parse(text);
  try {
    if (typeof api[call] !== "function") throw new Error(`no export named ${call}`);
    line({ ok: api[call](...args) ?? null });
  } catch (e) {
    line(e && e.payload !== undefined ? { err: e.payload } : { fault: String(e?.stack ?? e) });
  }
}
