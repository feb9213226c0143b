// Types of the package's API; the WIT types come from jco's declarations in component/.
import type * as types from "./component/interfaces/konecty-session-types.js";

export type * from "./component/interfaces/konecty-session-types.js";

/** SHA-256 (hex) of the component the package was built from: the one the binary embeds. */
export const componentSha256: string;

/** A host or directory that cannot be granted; nothing was started. */
export class GrantError extends Error {}

export interface Grant {
  /** Import object for a transpiled component (jco `--instantiation async`). */
  imports: Record<string, unknown>;
  /** The granted directory's real path. */
  dir: string;
  /** Runs one call of the component, then leaves the credential files 0600. */
  afterCall<T>(call: () => T): T;
}

/** One origin (`host`'s scheme, name and port) and one directory, nothing else. */
export function grant(options: { host: string; dir: string }): Grant;

/** The session API for `host`; every call throws an Error with `payload: types.Error` on failure. */
export interface Session {
  readonly host: string;
  readonly dir: string;
  loginOptions(): types.LoginMethods;
  requestOtp(who: types.Identifier): types.OtpSent;
  verifyOtp(
    who: types.Identifier,
    code: string,
    label?: types.ClientLabel,
    geolocation?: types.Geolocation,
  ): types.Session;
  pendingRequest(): types.CodeRequest | undefined;
  saveSession(session: Omit<types.Session, "host">, targets: types.SaveTargets): void;
  readSessions(): types.StoredSession[];
  storedHosts(): string[];
  useSession(): types.StoredSession | undefined;
  checkSession(token: string): types.SessionCheck;
  logout(): types.LogoutOutcome;
}

export function openSession(options: { host: string; dir: string }): Promise<Session>;
