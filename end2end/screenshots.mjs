// Takes the documentation's screenshots from a running demo (see scripts/screenshots): the
// portfolio, and a client's hardening checklist, signed in as the demo manager.
import { chromium } from "@playwright/test";
import * as path from "node:path";

const base = process.env.RAMPART_SCREENSHOT_URL ?? "http://127.0.0.1:3171";
const out = process.argv[2] ?? path.resolve("..", "docs");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill("manager@rampart.example");
  await page.getByLabel("Password").fill("rampart-demo-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(out, "screenshot.png") });

  // The first client of the list, and its hardening checklist.
  await page.goto(`${base}/clients`);
  const client = await page.locator("main table tbody a[href^='/clients/']").first().getAttribute("href");
  await page.goto(`${base}${client}/controls`);
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(out, "checklist.png") });
} finally {
  await browser.close();
}
