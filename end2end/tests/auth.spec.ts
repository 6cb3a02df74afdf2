import { expect, test } from "@playwright/test";
import { createUser, expectPath, field, open, signIn } from "./support";

test.describe("signing in and out", () => {
  test("a wrong password is refused with an alert and stays on the login page", async ({ page }) => {
    const user = createUser({ role: "manager" });

    await open(page, "/login");
    await field(page, "Email").fill(user.email);
    await field(page, "Password").fill(`${user.password}-wrong`);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();

    await expect(page.getByRole("alert")).toContainText(/email or password is not correct/i);
    await expect(page).toHaveURL((url) => url.pathname === "/login");
    // Still signed out: the protected pages send us back to the login form.
    await open(page, "/clients");
    await expect(page).toHaveURL((url) => url.pathname === "/login");
  });

  test("a manager signs in, sees the portfolio and the main navigation, then signs out", async ({ page }) => {
    const user = createUser({ role: "manager" });

    await signIn(page, user);
    await expectPath(page, "/");
    await expect(page.getByRole("heading", { level: 1, name: "Portfolio" })).toBeVisible();

    const nav = page.getByRole("navigation", { name: "Main", exact: true });
    await expect(nav.getByRole("link", { name: "Portfolio", exact: true })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Clients", exact: true })).toBeVisible();

    // The user menu is a disclosure whose summary shows the user's name.
    const signOut = page.getByRole("button", { name: "Sign out", exact: true });
    await expect(signOut).toBeHidden();
    await page.getByText(user.name, { exact: true }).filter({ visible: true }).first().click();
    await expect(signOut).toBeVisible();
    await signOut.click();
    await expectPath(page, "/login");

    await open(page, "/clients");
    await expect(page).toHaveURL((url) => url.pathname === "/login");
  });

  test("a signed-out visitor asking for the clients is sent to the login page", async ({ page }) => {
    await open(page, "/clients");
    await expect(page).toHaveURL((url) => url.pathname.startsWith("/login"));
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
  });
});
