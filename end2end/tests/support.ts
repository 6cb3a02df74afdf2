// Shared helpers for the Rampart browser tests. Locators use roles, labels and text only.
import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import * as path from "node:path";

/** The addresses each test has had checked. */
const CHECKED = new WeakMap<TestInfo, Set<string>>();
const AXE_SOURCE = readFileSync(path.join(__dirname, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");
/** Runs axe in the page; evaluates to its serious and critical violations, one line each. */
const AXE_RUN = `${AXE_SOURCE}
;axe.run(document, {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  rules: { "label-content-name-mismatch": { enabled: true } },
  resultTypes: ["violations"],
}).then((result) => result.violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => v.id + ": " + v.help + " — " + v.nodes.map((n) => n.target.join(" ")).join(", ")))`;

/**
 * Checks the page with axe-core (WCAG 2.1 A and AA, with label-content-name-mismatch, which axe
 * marks experimental): a serious or critical violation fails the test. Once
 * per address per test; with JavaScript only (the no-js project sees the same HTML).
 */
export async function checkAccessibility(page: Page, testInfo: TestInfo = test.info()): Promise<void> {
  if (!javaScriptEnabled(testInfo)) return;
  const url = new URL(page.url());
  const key = url.pathname + url.search;
  const checked = CHECKED.get(testInfo) ?? new Set<string>();
  CHECKED.set(testInfo, checked);
  if (checked.has(key)) return;
  checked.add(key);
  expect(await axeViolations(page), `accessibility of ${key}`).toEqual([]);
}

/** The page's serious and critical WCAG 2.1 A and AA violations found by axe, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  return (await page.evaluate(AXE_RUN)) as string[];
}

export type Role = "admin" | "manager" | "technician" | "auditor" | "client_viewer";

export interface User {
  email: string;
  password: string;
  name: string;
}

const LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";
const PASSWORD_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** `length` characters drawn uniformly from `alphabet` with a cryptographic generator. */
export function randomString(length: number, alphabet: string = LOWER_DIGITS): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A slug that is unique per call: `<prefix>-<6 random [a-z0-9]>`, e.g. `acme-k3x9q2`. */
export function uniqueSlug(prefix: string): string {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${base || "client"}-${randomString(6)}`;
}

function requiredEnv(name: string, hint: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${hint}`);
  return value;
}

/** The database the server under test uses (set by playwright.config.ts). */
export function e2eDatabaseUrl(): string {
  return requiredEnv(
    "RAMPART_E2E_DATABASE_URL",
    "run the tests through `npx playwright test` in end2end/ so playwright.config.ts sets it",
  );
}

function displayRole(role: Role): string {
  const words = role.split("_");
  return words.map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w)).join(" ");
}

/**
 * Adds a unique user with the CLI (`rampart user add`) on the server's database.
 * `client` is the slug of the client a client_viewer belongs to.
 */
export function createUser({ role, client }: { role: Role; client?: string }): User {
  const bin = requiredEnv("RAMPART_BIN", "set it to the absolute path of the built server binary");
  const email = `e2e-${role}-${randomString(10)}@example.test`;
  const password = randomString(24, PASSWORD_CHARS);
  const name = `E2E ${displayRole(role)}`;
  const args = [
    "user",
    "add",
    "--email",
    email,
    "--name",
    name,
    "--role",
    role,
    ...(client ? ["--client", client] : []),
    "--password-stdin",
  ];
  try {
    execFileSync(bin, args, {
      input: `${password}\n`,
      env: { ...process.env, DATABASE_URL: e2eDatabaseUrl() },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 30_000,
    });
  } catch (error) {
    const err = error as { stderr?: Buffer | string; stdout?: Buffer | string; message?: string };
    const output = [err.stderr, err.stdout]
      .map((b) => (b === undefined ? "" : b.toString().trim()))
      .filter(Boolean)
      .join("\n");
    throw new Error(
      `\`rampart ${args.join(" ")}\` failed: ${err.message ?? String(error)}${output ? `\n${output}` : ""}`,
    );
  }
  return { email, password, name };
}

/** Whether the project this test runs in has JavaScript enabled (project "js") or not ("no-js"). */
export function javaScriptEnabled(testInfo: TestInfo = test.info()): boolean {
  return testInfo.project.use.javaScriptEnabled !== false;
}

/**
 * Waits until the app has hydrated (`<body data-hydrated="true">`) when JavaScript is enabled,
 * then checks the page's accessibility (`checkAccessibility`); does nothing when it is not.
 * Call it after every `page.goto` and navigation, before interacting.
 */
export async function waitForHydration(page: Page, testInfo: TestInfo = test.info()): Promise<void> {
  if (!javaScriptEnabled(testInfo)) return;
  await page.waitForFunction(() => document.body?.dataset.hydrated === "true", undefined, {
    timeout: 15_000,
  });
  await checkAccessibility(page, testInfo);
}

/** `page.goto(path)` followed by `waitForHydration`. */
export async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await waitForHydration(page);
}

/** Waits for the URL's path to be `path` (query ignored), then for hydration. */
export async function expectPath(page: Page, path: string): Promise<void> {
  await expect(page).toHaveURL((url) => url.pathname === path);
  await waitForHydration(page);
}

/**
 * A form control by the start of its label (case-sensitive, whole words), so "Name" matches a
 * label "Name" or "Name *" but not "Primary contact name".
 */
export function field(page: Page, label: string): Locator {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return page.getByLabel(new RegExp(`^${escaped}\\b`));
}

/** Signs in through the login form and waits until the app has left /login. */
export async function signIn(page: Page, user: User): Promise<void> {
  await open(page, "/login");
  await field(page, "Email").fill(user.email);
  await field(page, "Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
  await waitForHydration(page);
}

export interface NewClient {
  name: string;
  slug: string;
}

/** A client name and slug that no other test uses. */
export function uniqueClient(namePrefix = "Acme Dental", slugPrefix = "acme"): NewClient {
  return { name: `${namePrefix} ${randomString(6)}`, slug: uniqueSlug(slugPrefix) };
}

/**
 * Creates a client through the UI (the signed-in user must be allowed to) and waits for its page.
 */
export async function createClientViaUi(
  page: Page,
  client: NewClient,
  details: { tier?: string; sector?: string; tags?: string } = {},
): Promise<void> {
  await open(page, "/clients/new");
  await field(page, "Name").fill(client.name);
  await field(page, "Slug").fill(client.slug);
  if (details.tier) await field(page, "Impact tier").selectOption({ label: details.tier });
  if (details.sector) await field(page, "Sector").fill(details.sector);
  if (details.tags) await field(page, "Tags").fill(details.tags);
  await page.getByRole("button", { name: "Create client", exact: true }).click();
  await expectPath(page, `/clients/${client.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: client.name })).toBeVisible();
}

/**
 * Moves the server's clock `hours` ahead of the real time (0 puts it back). The server reads the
 * offset from RAMPART_TEST_CLOCK_FILE on every request; tests run one at a time (workers: 1), so
 * a test that moves the clock must put it back when it ends, even when it fails.
 */
export function moveClock(hours: number): void {
  const file = requiredEnv("RAMPART_TEST_CLOCK_FILE", "playwright.config.ts sets it");
  writeFileSync(file, `${Math.round(hours * 3600)}\n`);
}

/** Marks one checklist step done from its row, with a note. */
export async function completeStep(page: Page, checklist: string, code: string, note: string): Promise<void> {
  const row = page.getByRole("table", { name: checklist }).getByRole("row").filter({ hasText: code });
  await row.getByText("Done…", { exact: true }).click();
  await row.getByLabel(/^Note/).fill(note);
  await row.getByRole("button", { name: `Mark ${code} done` }).click();
  await expect(page.getByRole("table", { name: checklist }).getByRole("row").filter({ hasText: code })).toContainText(note);
  await waitForHydration(page);
}

/** Grants access from a technician's page; the signed-in user approves it. */
export async function grantAccess(page: Page, client: string, system: string, privilege: string): Promise<void> {
  await field(page, "Client").selectOption({ label: client });
  await field(page, "System").selectOption({ label: system });
  await field(page, "Privilege").selectOption({ label: privilege });
  await field(page, "Justification").fill("Patching and monitoring");
  await page.getByRole("button", { name: "Grant access", exact: true }).click();
}

/** Adds a technician from /technicians and completes ON-01 and ON-03, so that any access may be
 * granted; returns the technician's name, with the browser on the technician's page. */
export async function onboardTechnician(page: Page, name: string): Promise<void> {
  await open(page, "/technicians");
  await field(page, "Full name").fill(name);
  await field(page, "Work email").fill(`${randomString(10)}@msp.example`);
  await field(page, "Job title").fill("Systems engineer");
  await field(page, "Start date").fill("2026-01-05");
  await page.getByRole("button", { name: "Add technician", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await waitForHydration(page);
  await completeStep(page, "Onboarding checklist", "ON-01", "Screening done, agreements signed");
  await completeStep(page, "Onboarding checklist", "ON-03", "FIDO2 key enrolled");
}
