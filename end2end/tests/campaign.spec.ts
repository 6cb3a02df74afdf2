import { expect, test, type Locator } from "@playwright/test";
import {
  createClientViaUi,
  createUser,
  grantAccess,
  onboardTechnician,
  open,
  signIn,
  uniqueClient,
  waitForHydration,
} from "./support";

/** Opens a row's <details> form by its summary, unless it is open already (a hydrated page keeps
 * a form open across a refused submission; a page loaded after a plain form post does not). */
async function openForm(row: Locator, summary: string): Promise<void> {
  const open = row.locator("details[open]").filter({ has: row.page().getByText(summary, { exact: true }) });
  if ((await open.count()) === 0) await row.getByText(summary, { exact: true }).click();
}

test.describe("access review campaign", () => {
  test("a manager runs a client's access review: riskiest first, reasons, a revocation task, sign-off", async ({
    page,
  }) => {
    const manager = createUser({ role: "manager" });
    const client = uniqueClient("Alder Accounting", "alder");
    await signIn(page, manager);
    await createClientViaUi(page, client);

    const name = `Noor Haddad ${Date.now()}`;
    await onboardTechnician(page, name);
    await grantAccess(page, client.name, "Password vault", "Admin");
    await expect(page.getByRole("table", { name: "Access by client" })).toContainText("Password vault");
    await waitForHydration(page);
    await grantAccess(page, client.name, "PSA", "Read");
    await expect(page.getByRole("table", { name: "Access by client" })).toContainText("PSA");

    // The client's access review, started: the population is taken now.
    await open(page, `/clients/${client.slug}`);
    await page.getByRole("button", { name: "Add the default series" }).click();
    const openReviews = page.getByRole("table", { name: "Open reviews" });
    await openReviews.getByRole("row").filter({ hasText: "Access review" }).getByRole("link", { name: "Access review" }).click();
    await waitForHydration(page);
    await page.getByRole("button", { name: `Start Access review at ${client.name}` }).click();
    const grants = page.getByRole("table", { name: "Grants under review" });
    await expect(grants.getByRole("row")).toHaveCount(3);
    await expect(grants.getByRole("row").nth(1)).toContainText("Password vault", { useInnerText: true });
    await expect(page.getByText("0 of 2 decided (0%).")).toBeVisible();
    await waitForHydration(page);

    // Keeping admin access needs a reason.
    const vault = grants.getByRole("row").filter({ hasText: "Password vault" });
    await openForm(vault, "Decide…");
    await vault.getByLabel("Decision").selectOption({ label: "Keep" });
    await vault.getByRole("button", { name: `Decide on Password vault for ${name}` }).click();
    await expect(page.getByText("Say why this admin access is still needed.").first()).toBeVisible();
    await waitForHydration(page);

    // Revoke the vault access: a revocation task in the register. Keep the PSA access.
    const vaultAgain = page.getByRole("table", { name: "Grants under review" }).getByRole("row").filter({ hasText: "Password vault" });
    await openForm(vaultAgain, "Decide…");
    await vaultAgain.getByLabel("Decision").selectOption({ label: "Revoke" });
    await vaultAgain.getByLabel("Reason").fill("Vault admin is not needed for this role");
    await vaultAgain.getByRole("button", { name: `Decide on Password vault for ${name}` }).click();
    await expect(vaultAgain).toContainText("To be revoked by");
    await waitForHydration(page);
    const psa = page.getByRole("table", { name: "Grants under review" }).getByRole("row").filter({ hasText: "PSA" });
    await openForm(psa, "Decide…");
    await psa.getByLabel("Decision").selectOption({ label: "Keep" });
    await psa.getByRole("button", { name: `Decide on PSA for ${name}` }).click();
    await expect(page.getByText("2 of 2 decided (100%).")).toBeVisible();
    await waitForHydration(page);

    // Signed off: done, and the next access review is on the schedule.
    const review = page.getByRole("table", { name: "This review" }).getByRole("row").nth(1);
    await openForm(review, "Close…");
    await review.getByRole("button", { name: `Mark Access review at ${client.name} done` }).click();
    await expect(page.getByRole("table", { name: "This review" })).toContainText("Done");
  });
});
