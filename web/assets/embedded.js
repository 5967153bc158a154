// The PSP's card form inside the checkout page (loaded on use, not with the page).
import { ApiError } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./format.js";

/// Loads the PSP's script (Stripe.js, or the sandbox's) and mounts its form in this page.
export async function mountEmbedded(action, status, root) {
  if (action.type === "card_form") return (await import("./card-form.js")).mountCardForm(action, status, root);
  if (!window.Stripe) {
    await new Promise((resolve, reject) => {
      const script = el("script", { src: action.script_url });
      script.onload = resolve;
      script.onerror = () => reject(new ApiError(0, null, null));
      document.head.append(script);
    });
  }
  const form = await window.Stripe(action.publishable_key).initEmbeddedCheckout({ clientSecret: action.client_secret });
  const box = el("section", { id: "embedded", "aria-label": t("method.cardHere") });
  status.replaceChildren("");
  root.replaceChildren(el("p", {}, t("checkout.embedded")), box,
    el("p", {}, el("a", { href: window.location.href }, t("checkout.otherWay"))));
  form.mount(box);
}
