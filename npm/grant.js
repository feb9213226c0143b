// The grant of the Rust host, enforced under Node: one origin, one directory, nothing else.
//
// preview2-shim runs a component with the process's authority (any host, real stdio,
// process.exit, the environment). `grant` starts from the shim's import object and replaces
// what it must: outgoing HTTP checks the origin before any request exists, the directory is
// preopened alone and its descriptor is guarded, sockets, stdio and exit are refused, and the
// environment and arguments are empty.
import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { http } from "@bytecodealliance/preview2-shim";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";

/** Where the component sees the directory. Not ".": hosts pick their own paths. */
export const GUEST_DIR = "/konecty";

/** The files a call may leave behind, made private after every call. */
const CREDENTIAL_FILES = [".env", "credentials", "pending-otp"];

const DEFAULT_PORT = { "http:": "80", "https:": "443" };
const isWindows = process.platform === "win32";

/** A grant that cannot be made: a bad host or directory. Nothing was started. */
export class GrantError extends Error {
  constructor(message) {
    super(message);
    this.name = "GrantError";
  }
}

/** scheme://host:port of a URL the caller gave, or a GrantError. */
export function originOf(host) {
  let url;
  try {
    url = new URL(host);
  } catch {
    throw new GrantError(`not a URL: ${JSON.stringify(String(host))}`);
  }
  if (!(url.protocol in DEFAULT_PORT)) {
    throw new GrantError(`only http and https hosts can be granted, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new GrantError("a host URL must not carry credentials");
  }
  if (url.hostname.startsWith("[")) {
    // preview2-shim refuses bracketed authorities, so no request could be sent.
    throw new GrantError("IPv6 address hosts cannot be used under Node: name the host instead");
  }
  return { scheme: url.protocol, host: url.hostname.toLowerCase(), port: url.port || DEFAULT_PORT[url.protocol] };
}

/**
 * The origin of an outgoing request as the shim would send it (a missing scheme is https, a
 * missing port the scheme's), or null when it has none we can name: the shim would send a
 * request without an authority to localhost.
 */
export function requestOrigin(scheme, authority) {
  let protocol;
  if (scheme === undefined) protocol = "https:";
  else if (scheme.tag === "HTTP") protocol = "http:";
  else if (scheme.tag === "HTTPS") protocol = "https:";
  else return null;
  if (typeof authority !== "string" || authority === "" || /[@/\\?#\s]/.test(authority)) return null;
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!match || match[1] === "") return null;
  return { scheme: protocol, host: match[1].toLowerCase(), port: match[2] ?? DEFAULT_PORT[protocol] };
}

export function sameOrigin(a, b) {
  return a !== null && b !== null && a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}

/**
 * A name the guard lets through: one file name in the granted directory (no `/`, `..`,
 * `.`, backslash or NUL). The component keeps its files there; nothing below it is granted.
 */
export function plainPath(path) {
  return (
    typeof path === "string" &&
    path !== "" &&
    path !== "." &&
    path !== ".." &&
    !/[/\\\0]/.test(path)
  );
}

// The shim's Descriptor class is shared by every shim in the process, so its methods are
// wrapped once and act only on the descriptors of granted directories, kept in one map (with
// each directory's real path) on the prototype itself: every copy of this module in the
// process (two versions, a bundle) registers there, whichever copy wrapped the methods. Any
// other descriptor behaves as the shim made it.
const GUARDED = Symbol.for("konecty-session.granted-directories");

/** The process's map of granted descriptors, wrapping the methods the first time. */
function guardDescriptors(Descriptor) {
  const proto = Descriptor.prototype;
  if (proto[GUARDED]) return proto[GUARDED];
  const granted = new WeakMap();
  Object.defineProperty(proto, GUARDED, { value: granted });
  const original = {};
  for (const name of [
    "openAt", "statAt", "setTimesAt", "readlinkAt", "unlinkFileAt", "metadataHashAt",
    "renameAt", "linkAt", "symlinkAt", "createDirectoryAt", "removeDirectoryAt",
  ]) {
    original[name] = proto[name];
  }
  const ours = (descriptor) => granted.get(descriptor);
  const check = (path) => {
    if (!plainPath(path)) throw "not-permitted";
  };
  proto.openAt = function (pathFlags, path, openFlags, descriptorFlags) {
    const root = ours(this);
    if (!root) return original.openAt.call(this, pathFlags, path, openFlags, descriptorFlags);
    check(path);
    // Only regular files: a descriptor for a directory (asked for, or reached through a
    // symlink) keeps that directory's path, which a rename could later point outside.
    if (openFlags?.directory) throw "not-permitted";
    // Only an open that may create needs to know whether the file was there before.
    const existed = !openFlags?.create || exists(join(root, path));
    const file = original.openAt.call(this, pathFlags, path, openFlags, descriptorFlags);
    if (file.getType() !== "regular-file") throw "not-permitted";
    if (!existed && !isWindows) {
      // Created by this call: private before its first byte is written.
      chmodSync(join(root, path), 0o600);
    }
    return file;
  };
  for (const name of ["statAt", "setTimesAt", "metadataHashAt"]) {
    proto[name] = function (pathFlags, path, ...rest) {
      if (ours(this)) check(path);
      return original[name].call(this, pathFlags, path, ...rest);
    };
  }
  for (const name of ["readlinkAt", "unlinkFileAt"]) {
    proto[name] = function (path, ...rest) {
      if (ours(this)) check(path);
      return original[name].call(this, path, ...rest);
    };
  }
  proto.renameAt = function (oldPath, newDescriptor, newPath) {
    if (ours(this) || ours(newDescriptor)) {
      if (ours(this) !== ours(newDescriptor)) throw "not-permitted";
      check(oldPath);
      check(newPath);
    }
    return original.renameAt.call(this, oldPath, newDescriptor, newPath);
  };
  // Links and directories the component never needs: a link could point outside.
  for (const name of ["linkAt", "symlinkAt", "createDirectoryAt", "removeDirectoryAt"]) {
    proto[name] = function (...args) {
      if (ours(this) || (name === "linkAt" && ours(args[2]))) throw "not-permitted";
      return original[name].apply(this, args);
    };
  }
  return granted;
}

function exists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates `dir` 0700 when missing and tightens it to 0700 when looser, as the Rust host does. */
function privateDirectory(dir) {
  if (typeof dir !== "string" || dir === "") throw new GrantError("a directory is needed");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const root = realpathSync(dir);
    const stat = statSync(root);
    if (!stat.isDirectory()) throw new GrantError(`${dir} is not a directory`);
    if (!isWindows && (stat.mode & 0o077) !== 0) chmodSync(root, stat.mode & 0o700);
    return root;
  } catch (error) {
    if (error instanceof GrantError) throw error;
    throw new GrantError(`cannot use ${dir}: ${error.code ?? error.message}`);
  }
}

/** Leaves our files 0600 (regular files only: a symlink's target is not ours). */
function privateFiles(root) {
  if (isWindows) return;
  for (const name of CREDENTIAL_FILES) {
    try {
      const stat = lstatSync(join(root, name));
      if (stat.isFile() && (stat.mode & 0o077) !== 0) chmodSync(join(root, name), 0o600);
    } catch {
      // Not there: nothing to tighten.
    }
  }
}

function refuse(what) {
  return () => {
    throw new Error(`konecty-session grants no ${what}`);
  };
}

/**
 * The import object for a konecty:session component (or any component under the same grant)
 * with `host`'s origin and `dir`, plus `afterCall`, to run after each call of the component.
 */
export function grant({ host, dir }) {
  const origin = originOf(host);
  const root = privateDirectory(dir);
  const shim = new WASIShim({
    sandbox: { preopens: { [GUEST_DIR]: root }, env: {}, args: [], enableNetwork: false },
  });
  const imports = shim.getImportObject();
  const granted = guardDescriptors(imports["wasi:filesystem/types"].Descriptor);
  for (const [descriptor] of imports["wasi:filesystem/preopens"].getDirectories()) {
    granted.set(descriptor, root);
  }
  // Not even the process's working directory.
  imports["wasi:cli/environment"] = {
    ...imports["wasi:cli/environment"],
    initialCwd: () => undefined,
  };
  const send = http.outgoingHandler.handle;
  imports["wasi:http/outgoing-handler"] = {
    handle(request, options) {
      // Before the shim sees it: its handle starts the request at once.
      if (!sameOrigin(origin, requestOrigin(request.scheme(), request.authority()))) {
        throw { tag: "HTTP-request-denied" };
      }
      return send.call(http.outgoingHandler, request, options);
    },
  };
  imports["wasi:cli/exit"] = { exit: refuse("exit"), exitWithCode: refuse("exit") };
  imports["wasi:cli/stdin"] = { getStdin: refuse("stdin") };
  imports["wasi:cli/stdout"] = { getStdout: refuse("stdout") };
  imports["wasi:cli/stderr"] = { getStderr: refuse("stderr") };
  imports["wasi:cli/terminal-stdin"] = { getTerminalStdin: () => undefined };
  imports["wasi:cli/terminal-stdout"] = { getTerminalStdout: () => undefined };
  imports["wasi:cli/terminal-stderr"] = { getTerminalStderr: () => undefined };
  return {
    imports,
    dir: root,
    afterCall(call) {
      try {
        return call();
      } finally {
        privateFiles(root);
      }
    },
  };
}
