import { expect, test } from "@playwright/test";
import {
  createClientViaUi,
  createUser,
  field,
  open,
  signIn,
  uniqueClient,
  waitForHydration,
} from "./support";

test.describe("risk score", () => {
  test("a client's score explains itself, and each chart shows its numbers on demand", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    const client = uniqueClient("Quarry <Dental> & Co", "quarry");
    await signIn(page, manager);
    await createClientViaUi(page, client);

    const score = page.getByRole("region", { name: "Risk score" });
    // Nothing assessed yet: coverage 0, Critical, in words.
    await expect(score).toContainText("Coverage 0, no penalties.");
    await expect(score).toContainText("Critical");
    await expect(score.getByRole("list").first()).toContainText("not assessed: −5");

    const figures = score.getByRole("figure");
    await expect(figures).toHaveCount(5);
    for (const title of [
      "Risk score over time",
      "Coverage by category",
      "Why 0? From 100 down to the score",
      "Access hygiene over time",
      "Review timeliness",
    ]) {
      await expect(score.getByRole("figure", { name: title })).toBeVisible();
    }
    // The images are drawn on the server, and their text alternative names the client as text.
    const trend = score.getByRole("figure", { name: "Risk score over time" }).getByRole("img");
    await expect(trend).toHaveAttribute("alt", new RegExp(`Risk score of Quarry <Dental> & Co`));
    // Charts load lazily: bring the image into view before asking for its size.
    await trend.scrollIntoViewIfNeeded();
    await expect(trend).toHaveJSProperty("naturalWidth", 720);

    const categories = score.getByRole("figure", { name: "Coverage by category" });
    await categories.getByText("Show the numbers", { exact: true }).click();
    const numbers = categories.getByRole("table");
    await expect(numbers.getByRole("row", { name: /Remote access/ })).toContainText("0%");

    await expect(score.getByRole("figure", { name: "Review timeliness" })).toContainText("Show the numbers");
    await score.getByRole("link", { name: "How the score works" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "How the risk score works" })).toBeVisible();
    await waitForHydration(page);
  });

  test("a client viewer gets the same answer for another client's chart as for none", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    const own = uniqueClient("Own Clinic", "own");
    const other = uniqueClient("Foreign Canary", "foreign");
    await signIn(page, manager);
    await createClientViaUi(page, own);
    await createClientViaUi(page, other);

    const viewer = createUser({ role: "client_viewer", client: own.slug });
    await page.context().clearCookies();
    await signIn(page, viewer);
    const mine = await page.request.get(`/charts/clients/${own.slug}/trend.svg`);
    expect(mine.status()).toBe(200);
    expect(mine.headers()["content-type"]).toBe("image/svg+xml");
    const foreign = await page.request.get(`/charts/clients/${other.slug}/trend.svg`);
    const missing = await page.request.get(`/charts/clients/no-such-client-here/trend.svg`);
    expect(foreign.status()).toBe(404);
    expect(missing.status()).toBe(404);
    expect(await foreign.text()).toBe(await missing.text());
    expect((await page.request.get("/charts/portfolio/heatmap.svg")).status()).toBe(403);
  });

  test("an admin changes a band threshold, and the explanation follows", async ({ page }) => {
    const admin = createUser({ role: "admin" });
    await signIn(page, admin);
    await open(page, "/settings/score");
    try {
      await field(page, "Low band from").fill("95");
      await page.getByRole("button", { name: "Save settings", exact: true }).click();
      // With JavaScript the form's answer says so; without, the page the post comes back to.
      await expect(page.getByText("Settings saved.", { exact: true })).toBeVisible();
      await expect(field(page, "Low band from")).toHaveValue("95");
      await waitForHydration(page);
      await open(page, "/score");
      await expect(page.getByRole("region", { name: "3. Band, and overrides" })).toContainText("from 95");
      await expect(page.getByText(/Settings last changed/)).toBeVisible();

      await open(page, "/settings/score");
      await field(page, "Moderate band from").fill("99");
      await page.getByRole("button", { name: "Save settings", exact: true }).click();
      await expect(page.getByText(/The thresholds must rise/).first()).toBeVisible();
    } finally {
      await open(page, "/settings/score");
      await field(page, "Low band from").fill("90");
      await field(page, "Moderate band from").fill("75");
      await page.getByRole("button", { name: "Save settings", exact: true }).click();
      await expect(page.getByText("Settings saved.", { exact: true })).toBeVisible();
      await open(page, "/score");
      await expect(page.getByRole("region", { name: "3. Band, and overrides" })).toContainText("from 90");
    }
  });
});
