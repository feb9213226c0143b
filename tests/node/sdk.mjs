// Reads a credentials file the way the Konecty Node SDK does.
//
//   HOME=... node sdk.mjs HOST...
//
// Prints one JSON object:
// - sdk: for each HOST, the options of the client that @konecty/sdk's
//   createClientFromCredentialFile builds from $HOME/.konecty/credentials with
//   `endpoint: HOST` (its own lookup), and what the server's /rest/auth/info said to that
//   client's token (the SDK's own `info` call);
// - ini: what the `ini` package the SDK depends on (resolved from the SDK's own folder) makes
//   of the file: `default`, the top-level keys, and for each HOST the value at the top-level
//   key HOST and at HOST split on dots (as lodash.get, which the SDK uses, looks it up).
// createClientFromCredentialFile is not in the package's exports map: it is loaded by path.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const hosts = process.argv.slice(2);
const require = createRequire(import.meta.url);
const sdkDir = dirname(require.resolve("@konecty/sdk/package.json"));
const sdkRequire = createRequire(join(sdkDir, "package.json"));
const createClientFromCredentialFile = sdkRequire(
  join(sdkDir, "dist/lib/createClientFromCredentialFile.js"),
).default;
const ini = sdkRequire("ini");

const sdk = {};
for (const host of hosts) {
  const client = createClientFromCredentialFile({ endpoint: host });
  const info = await client.info(client.options.accessKey);
  sdk[host] = {
    endpoint: client.options.endpoint ?? null,
    accessKey: client.options.accessKey ?? null,
    info: { logged: info.logged ?? null, userId: info.user?._id ?? null },
  };
}

const text = readFileSync(join(process.env.HOME, ".konecty", "credentials"), "utf8");
const parsed = ini.parse(text);
const sections = {};
for (const host of hosts) {
  sections[host] = {
    atHostKey: parsed[host] ?? null,
    atDottedHost: host.split(".").reduce((node, part) => node?.[part], parsed) ?? null,
  };
}

console.log(
  JSON.stringify({
    versions: {
      sdk: sdkRequire("./package.json").version,
      ini: sdkRequire("ini/package.json").version,
    },
    sdk,
    ini: { default: parsed.default ?? null, topLevelKeys: Object.keys(parsed), sections },
  }),
);
