// The grant's rules one by one (node --test); tests/e2e/npm.rs runs them and the whole
// package against the dev server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GrantError, originOf, plainPath, requestOrigin, sameOrigin } from "../grant.js";

const HTTP = { tag: "HTTP" };
const HTTPS = { tag: "HTTPS" };
const granted = originOf("https://App.Konecty.com");

test("a granted origin has a scheme, a lower-case name and a port", () => {
  assert.deepEqual(granted, { scheme: "https:", host: "app.konecty.com", port: "443" });
  assert.deepEqual(originOf("http://127.0.0.1:3000/path"), { scheme: "http:", host: "127.0.0.1", port: "3000" });
});

test("only http and https URLs without credentials can be granted", () => {
  for (const host of ["ftp://example.com", "file:///etc", "not a url", "", "https://u:p@example.com"]) {
    assert.throws(() => originOf(host), GrantError, `expected ${JSON.stringify(host)} to be refused`);
  }
});

test("a request to the granted origin is allowed, with or without the default port", () => {
  assert.ok(sameOrigin(granted, requestOrigin(HTTPS, "app.konecty.com")));
  assert.ok(sameOrigin(granted, requestOrigin(HTTPS, "APP.konecty.com:443")));
  // The shim sends a request without a scheme as https.
  assert.ok(sameOrigin(granted, requestOrigin(undefined, "app.konecty.com")));
});

test("another scheme, name or port is another origin", () => {
  assert.ok(!sameOrigin(granted, requestOrigin(HTTP, "app.konecty.com:443")));
  assert.ok(!sameOrigin(granted, requestOrigin(HTTPS, "app.konecty.com:8443")));
  assert.ok(!sameOrigin(granted, requestOrigin(HTTPS, "evil.com")));
  assert.ok(!sameOrigin(granted, requestOrigin(HTTPS, "app.konecty.com.")));
  assert.ok(!sameOrigin(granted, requestOrigin({ tag: "other", val: "HTTPS" }, "app.konecty.com")));
});

test("a request without a usable authority has no origin", () => {
  // The shim would send it to localhost.
  for (const authority of [undefined, "", ":443", "user@app.konecty.com", "app.konecty.com/x", "a b"]) {
    assert.equal(requestOrigin(HTTPS, authority), null, `authority ${JSON.stringify(authority)}`);
  }
  assert.ok(!sameOrigin(granted, null));
});

test("IPv6 address hosts are refused: the shim could not send to them", () => {
  assert.throws(() => originOf("http://[::1]:3000"), GrantError);
  // A request naming one has an origin all the same, never the granted one.
  assert.deepEqual(requestOrigin(HTTP, "[::1]:3000"), { scheme: "http:", host: "[::1]", port: "3000" });
  assert.ok(!sameOrigin(granted, requestOrigin(HTTP, "[::1]:3000")));
});

test("only file names in the granted directory reach the filesystem", () => {
  for (const path of [".env", "credentials", ".credentials.123-0.tmp", "pending-otp"]) {
    assert.ok(plainPath(path), `expected ${path} to be allowed`);
  }
  for (const path of ["", ".", "..", "a/b", "/etc/passwd", "../secret", "a/../../b", "./.env", "a\\..\\b", "x\0y", "a/."]) {
    assert.ok(!plainPath(path), `expected ${JSON.stringify(path)} to be refused`);
  }
});
