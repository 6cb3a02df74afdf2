/*
 * Browser tests for Rampart.
 *
 * How they are run: scripts/test builds the app with cargo-leptos (server binary plus the
 * hydration bundle in target/site), sets RAMPART_BIN to the absolute path of the built server
 * binary, then runs `npx playwright test` in end2end/.
 *
 * Playwright starts `$RAMPART_BIN serve` itself (see webServer below) on a fresh SQLite database
 * in the system temp directory, and the tests add their users with `$RAMPART_BIN user add`
 * against that same database. Browsers are never downloaded: Debian's /usr/bin/chromium is used.
 *
 * Environment:
 *   RAMPART_BIN        required to run the tests: absolute path of the built server binary.
 *   RAMPART_E2E_URL    base URL of the server under test (default http://127.0.0.1:3111);
 *                      the server is started on 127.0.0.1 at this URL's port.
 *   RAMPART_SITE_ROOT  site root built by cargo-leptos (default ../target/site).
 *   RAMPART_TEST_CLOCK_FILE  set here: the file through which tests move the server's clock.
 *   RAMPART_E2E_OIDC_URL  where the test OpenID provider (oidc/provider.mjs, started here next
 *                      to Rampart) listens (default http://127.0.0.1:3112); sso.spec.ts uses it.
 *   RAMPART_SSO_ALLOW_LOOPBACK  set here: the test OpenID provider runs on loopback.
 *   RAMPART_MFA_REQUIRED_ROLES  set here to "none": the tests sign in as admins and managers
 *                      without setting up two-factor sign-in (production requires it of
 *                      them by default); account.spec.ts sets it up and signs in with a code.
 *
 * Every test runs twice: project "js" (the server-rendered pages with their islands hydrated)
 * and project "no-js" (server-rendered HTML and plain form posts only).
 */
import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";

const baseURL = (process.env.RAMPART_E2E_URL ?? "http://127.0.0.1:3111").replace(/\/+$/, "");

function portOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.port) return parsed.port;
  return parsed.protocol === "https:" ? "443" : "80";
}
const addr = `127.0.0.1:${portOf(baseURL)}`;

// This module is evaluated by the runner and again by every worker. The runner computes the
// database path once and publishes it through the environment, which the workers inherit, so the
// server (started by the runner) and the tests' CLI calls (made in workers) share one database.
if (!process.env.RAMPART_E2E_DATABASE_URL) {
  const dbPath = path.join(os.tmpdir(), `rampart-e2e-${process.pid}-${Date.now()}.db`);
  process.env.RAMPART_E2E_DATABASE_URL = `sqlite://${dbPath}?mode=rwc`;
}
const databaseUrl = process.env.RAMPART_E2E_DATABASE_URL;
// The server adds the seconds written in this file to its clock (see domain/src/clock.rs), so a
// test can move time forward to see deadlines pass; tests/support.ts `moveClock` writes it.
if (!process.env.RAMPART_TEST_CLOCK_FILE) {
  process.env.RAMPART_TEST_CLOCK_FILE = path.join(os.tmpdir(), `rampart-e2e-clock-${process.pid}-${Date.now()}`);
}
const clockFile = process.env.RAMPART_TEST_CLOCK_FILE;

const oidcURL = (process.env.RAMPART_E2E_OIDC_URL ?? "http://127.0.0.1:3112").replace(/\/+$/, "");
process.env.RAMPART_E2E_OIDC_URL = oidcURL;

const siteRoot = path.resolve(process.env.RAMPART_SITE_ROOT ?? path.resolve(__dirname, "../target/site"));

// `playwright test --list` only collects tests and never starts the server, so it may run without
// a built binary. Everything else needs RAMPART_BIN.
const listingOnly = process.argv.includes("--list");
const rawBin = process.env.RAMPART_BIN;
if (!rawBin && !listingOnly) {
  throw new Error(
    "RAMPART_BIN is not set. Set it to the absolute path of the built Rampart server binary " +
      "(scripts/test does this after building with cargo-leptos), e.g. " +
      "RAMPART_BIN=/var/tmp/rampart-target/debug/rampart npx playwright test",
  );
}
if (rawBin) {
  // Normalise once so the workers (which inherit the environment) use the same absolute path.
  process.env.RAMPART_BIN = path.resolve(rawBin);
}
const bin = process.env.RAMPART_BIN;

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  timeout: 30_000,
  expect: { timeout: 10_000 },

  use: {
    baseURL,
    headless: true,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
  },

  projects: [
    { name: "js", use: { javaScriptEnabled: true } },
    { name: "no-js", use: { javaScriptEnabled: false } },
  ],

  webServer: bin
    ? [
      {
        command: `${JSON.stringify(bin)} serve`,
        url: `${baseURL}/healthz`,
        cwd: path.resolve(__dirname, ".."),
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: "pipe",
        stderr: "pipe",
        gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
        env: {
          DATABASE_URL: databaseUrl,
          RAMPART_ADDR: addr,
          LEPTOS_SITE_ROOT: siteRoot,
          RAMPART_TEST_CLOCK_FILE: clockFile,
          RAMPART_MFA_REQUIRED_ROLES: "none",
          // The test OpenID provider runs on this machine, which production refuses.
          RAMPART_SSO_ALLOW_LOOPBACK: "true",
          RUST_LOG: "warn",
        },
      },
      {
        // A real OpenID provider on loopback for the single sign-on tests (sso.spec.ts).
        command: "node oidc/provider.mjs",
        url: `${oidcURL}/.well-known/openid-configuration`,
        cwd: __dirname,
        reuseExistingServer: false,
        timeout: 30_000,
        stdout: "pipe",
        stderr: "pipe",
        env: { RAMPART_E2E_OIDC_URL: oidcURL, RAMPART_E2E_URL: baseURL },
      },
    ]
    : undefined,
});
