// Paying in instalments at checkout: each plan the shop offers for this order
// (`instalment_plans` on the billing route) as a method, with its schedule. Loaded only when
// a plan is offered, so the checkout stays light otherwise.
import { lang, locale } from "./i18n.js";
import { money } from "./format.js";

const TEXT = {
  fr: { label: "En {n} fois par carte", today: "aujourd'hui", on: "le ", kept: "Votre carte est conservée jusqu'à la dernière échéance, débitée automatiquement." },
  en: { label: "In {n} instalments by card", today: "today", on: "on ", kept: "Your card is kept until the last instalment, charged automatically." },
};

const day = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString(locale(), { day: "numeric", month: "long" });

/// "3 × 34,20 € : aujourd'hui, 1 janvier, 1 février", or each amount when they differ.
export function schedule(plan, currency) {
  const x = TEXT[lang()];
  const parts = plan.instalments;
  const when = (p) => (p.index === 1 ? x.today : day(p.due_on));
  if (parts.every((p) => p.amount === parts[0].amount)) {
    return `${plan.count} × ${money(parts[0].amount, currency)} : ${parts.map(when).join(", ")}`;
  }
  return parts.map((p) => `${money(p.amount, currency)} ${p.index === 1 ? x.today : x.on + day(p.due_on)}`).join(" · ");
}

export const planMethods = (plans, currency) => plans.map((plan) => ({
  id: `plan-${plan.count}`,
  get text() { return TEXT[lang()].label.replace("{n}", plan.count); },
  get hint() { return `${schedule(plan, currency)}. ${TEXT[lang()].kept}`; },
  fields: () => ({ method: "instalments", instalments: plan.count }),
}));
