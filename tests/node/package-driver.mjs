// Drives the installed konecty-session npm package (copied into a project that installed
// its tarball, so that `import "konecty-session"` resolves to it):
//
//   node package-driver.mjs HOST DIR              the package's openSession({host, dir})
//   node package-driver.mjs HOST DIR TRANSPILED   another component (jco output in
//                                                 TRANSPILED) under the package's grant
//
// Prints {"ready": true, "componentSha256": ..., "functions": [...]}, then answers each line
// {"call": name, "args": [...]} as tests/node/component.mjs does: {"ok": value},
// {"err": payload} for the WIT error, {"fault": text} for anything else. The call "grant"
// tries grant(args[0]) and answers {"ok": dir} or {"err": {"name", "message"}}.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { componentSha256, grant, openSession } from "konecty-session";

const [host, dir, transpiled] = process.argv.slice(2);
const line = (value) =>
  process.stdout.write(
    JSON.stringify(value, (_key, v) =>
      typeof v === "bigint" ? Number(v) : v === undefined ? null : v,
    ) + "\n",
  );

let api;
if (transpiled) {
  const sandbox = grant({ host, dir });
  const { instantiate } = await import(pathToFileURL(join(transpiled, "session.js")).href);
  const instance = await instantiate(
    async (name) => WebAssembly.compile(await readFile(join(transpiled, name))),
    sandbox.imports,
  );
  const raw = instance["konecty:session/api@0.4.0"];
  api = { requestOtp: (who) => sandbox.afterCall(() => raw.requestOtp(host, who)) };
} else {
  api = await openSession({ host, dir });
}
const functions = Object.keys(api).filter((key) => typeof api[key] === "function").sort();
line({ ready: true, componentSha256, functions });

for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!text.trim()) continue;
  const { call, args } = JSON.parse(text);
  if (call === "grant") {
    try {
      line({ ok: grant(args[0]).dir });
    } catch (e) {
      line({ err: { name: e.name, message: e.message } });
    }
    continue;
  }
  try {
    if (typeof api[call] !== "function") throw new Error(`no function named ${call}`);
    line({ ok: api[call](...args) ?? null });
  } catch (e) {
    line(e && e.payload !== undefined ? { err: e.payload } : { fault: String(e?.stack ?? e) });
  }
}
