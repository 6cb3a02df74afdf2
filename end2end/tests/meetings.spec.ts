import { expect, test } from "@playwright/test";
import { createClientViaUi, createUser, signIn, uniqueClient, waitForHydration } from "./support";

test.describe("review meetings", () => {
  test("a manager runs a security review meeting to sign-off and opens its frozen pack", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    const client = uniqueClient("Maple Dental", "maple");
    await signIn(page, manager);
    await createClientViaUi(page, client);

    const reviews = page.getByRole("region", { name: "Reviews", exact: true });
    await reviews.getByRole("button", { name: "Add the default series" }).click();
    const open = page.getByRole("table", { name: "Open reviews" });
    await expect(open.getByRole("row")).toHaveCount(6);
    await waitForHydration(page);
    await open.getByRole("link", { name: "Security and business review" }).click();
    await expect(page).toHaveURL(/\/reviews\/\d+$/);
    await waitForHydration(page);
    const reviewPath = new URL(page.url()).pathname;

    // Holding the meeting generates its agenda from what changed.
    const meeting = page.getByRole("region", { name: "Meeting", exact: true });
    await meeting.getByRole("button", { name: "Hold the meeting" }).click();
    const agenda = meeting.getByLabel("Agenda");
    await expect(agenda).toHaveValue(/^Score /);
    await waitForHydration(page);

    // Edit the agenda, record attendees and minutes.
    await agenda.fill(`${await agenda.inputValue()}\nBudget for EDR`);
    await meeting.getByLabel("Attendees from the MSP (one a line)").fill("Morgan (vCISO)");
    await meeting.getByLabel("Attendees from the client (one a line)").fill("Chris (CEO)");
    await meeting.getByLabel("Minutes").fill("Walked through the score.");
    await meeting.getByRole("button", { name: "Save the meeting" }).click();
    await expect(meeting.getByLabel("Attendees from the client (one a line)")).toHaveValue("Chris (CEO)");
    await waitForHydration(page);
    await page.goto(reviewPath);
    await waitForHydration(page);
    await expect(meeting.getByLabel("Agenda")).toHaveValue(/Budget for EDR$/);
    await expect(meeting.getByLabel("Minutes")).toHaveValue("Walked through the score.");

    // A topic to decide, and an action item (an owner is required).
    await meeting.getByLabel("Topic to decide").fill("Budget for EDR");
    await meeting.getByRole("button", { name: "Add the topic" }).click();
    await expect(meeting.getByText("undecided")).toBeVisible();
    await waitForHydration(page);
    await meeting.getByLabel("Action item", { exact: true }).fill("Roll out EDR to every laptop");
    await meeting.getByRole("button", { name: "Add the action item" }).click();
    await expect(page.getByText("Every action item needs an owner.").first()).toBeVisible();
    await waitForHydration(page);
    await meeting.getByLabel("Action item", { exact: true }).fill("Roll out EDR to every laptop");
    await meeting.getByLabel("Owner", { exact: true }).fill("Sam");
    await meeting.getByRole("button", { name: "Add the action item" }).click();
    const actions = meeting.getByRole("table", { name: "Action items" });
    await expect(actions.getByRole("row").filter({ hasText: "Roll out EDR to every laptop" })).toContainText("Sam");
    await waitForHydration(page);

    // Sign-off waits for every decision.
    await meeting.getByRole("button", { name: "Sign off the meeting" }).click();
    await expect(page.getByText("1 topic(s) have no decision yet: Budget for EDR.").first()).toBeVisible();
    await waitForHydration(page);
    await meeting.getByLabel("Decision on Budget for EDR").fill("Approved up to 5k");
    await meeting.getByRole("button", { name: "Record the decision" }).click();
    await expect(meeting.getByText("Approved up to 5k", { exact: true })).toBeVisible();
    await waitForHydration(page);
    await meeting.getByRole("button", { name: "Sign off the meeting" }).click();
    await expect(meeting.getByText("Signed off", { exact: true })).toBeVisible();
    await expect(meeting.getByRole("button", { name: "Save the meeting" })).toHaveCount(0);
    await waitForHydration(page);

    // The pack shows the frozen score and the decision.
    await meeting.getByRole("link", { name: "Open the review pack" }).click();
    await expect(page).toHaveURL(/\/reviews\/\d+\/pack$/);
    await expect(page.getByRole("heading", { level: 1, name: client.name })).toBeVisible();
    await expect(page.getByText(/^Signed off by /)).toBeVisible();
    await expect(page.getByRole("region", { name: "Score" })).toContainText(/Score\s+(\d+|not rated)/);
    await expect(page.getByRole("table", { name: "Decisions" })).toContainText("Approved up to 5k");
    await expect(page.getByRole("table", { name: "Action items" })).toContainText("Roll out EDR to every laptop");

    const pdf = await page.request.get(`${reviewPath}/pack.pdf`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()["content-type"]).toBe("application/pdf");
    expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
  });
});
