// konecty-session for Node: the same component our binary embeds, under the same grant.
import { readFile } from "node:fs/promises";
import { grant } from "./grant.js";
import { componentSha256 } from "./component/digest.js";
import { instantiate } from "./component/session.js";

export { GrantError, grant } from "./grant.js";
export { componentSha256 };

const API = "konecty:session/api@0.4.0";

async function compile(name) {
  return WebAssembly.compile(await readFile(new URL(`./component/${name}`, import.meta.url)));
}

/**
 * A session API for one Konecty host and one credentials directory. The component may send
 * requests to `host`'s origin only and touch files in `dir` only; `dir` is created 0700 when
 * missing and every call leaves the credential files 0600.
 *
 * Every function is synchronous and returns the component's value, or throws what jco throws
 * for the WIT `error`: an Error whose `payload` is `{tag, val}` (`rejected`, `network`, ...).
 */
export async function openSession({ host, dir }) {
  const sandbox = grant({ host, dir });
  const instance = await instantiate(compile, sandbox.imports);
  const api = instance[API];
  const call = (fn, ...args) => sandbox.afterCall(() => fn(...args));
  return {
    host,
    dir: sandbox.dir,
    loginOptions: () => call(api.loginOptions, host),
    requestOtp: (who) => call(api.requestOtp, host, who),
    verifyOtp: (who, code, label, geolocation) =>
      call(api.verifyOtp, host, who, code, label, geolocation),
    pendingRequest: () => call(api.pendingRequest, host),
    saveSession: (session, targets) => call(api.saveSession, { ...session, host }, targets),
    readSessions: () => call(api.readSessions, host),
    storedHosts: () => call(api.storedHosts),
    useSession: () => call(api.useSession, host),
    checkSession: (token) => call(api.checkSession, host, token),
    logout: () => call(api.logout, host),
  };
}
