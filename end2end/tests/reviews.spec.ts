import { expect, test } from "@playwright/test";
import { createClientViaUi, createUser, moveClock, open, signIn, uniqueClient, waitForHydration } from "./support";

test.describe("review schedule", () => {
  test.afterEach(() => moveClock(0));

  test("a manager starts a client's series, closes one, skips one with a reason, and sees overdue ones later", async ({
    page,
  }) => {
    const manager = createUser({ role: "manager" });
    const client = uniqueClient("AAA Juniper Clinic", "juniper");
    await signIn(page, manager);
    await createClientViaUi(page, client, { tier: "Critical" });

    const reviews = page.getByRole("region", { name: "Reviews", exact: true });
    await reviews.getByRole("button", { name: "Add the default series" }).click();
    const open = page.getByRole("table", { name: "Open reviews" });
    await expect(open.getByRole("row")).toHaveCount(6);
    await expect(open).toContainText("Monthly", { useInnerText: true });
    await waitForHydration(page);

    // The portfolio lists what is due in the next two weeks: the first twelve by due day, then
    // client name, which is why this client's name sorts first ("AAA …") among the tests' clients.
    await page.goto("/");
    await waitForHydration(page);
    await expect(page.getByRole("region", { name: "Reviews due in the next 14 days" })).toContainText(client.name);
    await page.goto(`/clients/${client.slug}`);
    await waitForHydration(page);

    // Close the access review: the next one is due a quarter later.
    const access = open.getByRole("row").filter({ hasText: "Access review" });
    const firstDue = (await access.locator("time").first().textContent()) ?? "";
    await access.getByText("Close…", { exact: true }).click();
    await access.getByLabel("What was done (optional)").fill("All 12 grants decided");
    await access.getByRole("button", { name: `Mark Access review at ${client.name} done` }).click();
    const nextAccess = page.getByRole("table", { name: "Open reviews" }).getByRole("row").filter({ hasText: "Access review" });
    await expect(nextAccess).toHaveCount(1);
    await expect(nextAccess.locator("time").first()).not.toHaveText(firstDue);
    await waitForHydration(page);

    // Skipping needs a reason.
    const contract = page.getByRole("table", { name: "Open reviews" }).getByRole("row").filter({ hasText: "Contract review" });
    const skip = contract.getByRole("button", { name: `Skip Contract review at ${client.name}` });
    await contract.getByText("Close…", { exact: true }).click();
    await expect(skip).toBeVisible();
    await contract.getByRole("button", { name: `Skip Contract review at ${client.name}` }).click();
    await expect(page.getByText("Say why this review is skipped.").first()).toBeVisible();
    await waitForHydration(page);

    // Forty days on, the monthly security review is overdue on the schedule.
    moveClock(40 * 24);
    await open.page().goto(`/reviews?overdue=1`);
    await waitForHydration(page);
    const schedule = page.getByRole("table", { name: "Review schedule" });
    const row = schedule.getByRole("row").filter({ hasText: client.name }).filter({ hasText: "Security and business review" });
    await expect(row).toContainText("overdue");
    await expect(schedule.getByRole("row").filter({ hasText: client.name }).filter({ hasText: "Access review" })).toHaveCount(0);

    // The calendar feed: a secret address, shown once, that a calendar program reads without a session.
    await open.page().goto("/reviews/calendar");
    await waitForHydration(page);
    await page.getByRole("button", { name: "Make a new feed address" }).click();
    const url = (await page.locator("code.feed-url").textContent()) ?? "";
    expect(url).toMatch(/\/calendar\/[0-9a-f]{48}\.ics$/);
    const feed = await page.request.get(url, { headers: { cookie: "" } });
    expect(feed.status()).toBe(200);
    const ics = await feed.text();
    expect(ics).toContain("BEGIN:VCALENDAR");
    expect(ics).toContain(client.name);
  });
});
