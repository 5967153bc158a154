// The order page's invoices and credit notes (PDF with Factur-X), loaded by the order page only.
// A download link works a few minutes: one clicked later is fetched anew first.
import { call } from "./api.js";
import { locale, t } from "./i18n.js";
import { el, money } from "./format.js";

/// The order's invoices and credit notes, each with a download link valid a few minutes.
export const getDocuments = (ref, token) =>
  call("GET", `/v1/orders/${encodeURIComponent(ref)}/documents`, { token });

/// `YYYY-MM-DD` (the shop's calendar) as a date in the reader's language.
function day(isoDate) {
  const [y, m, d] = String(isoDate).split("-").map(Number);
  if (!y || !m || !d) return isoDate;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

export function documentsSection(reference, token, documents) {
  if (!documents.length) return "";
  const item = (d) => {
    const label = t(d.type === "credit_note" ? "docs.creditNote" : "docs.invoice",
      { number: d.number, total: money(d.total, d.currency), date: day(d.issued_on) });
    const link = el("a", { href: d.download_url, download: d.file_name, "data-document": d.number }, label);
    link.addEventListener("click", async (event) => {
      if (Date.parse(d.link_expires_at) - Date.now() > 30_000) return;
      event.preventDefault();
      const fresh = (await getDocuments(reference, token)).documents.find((x) => x.number === d.number);
      if (fresh) window.location.assign(fresh.download_url);
    });
    return el("li", {}, link);
  };
  return el("section", { "aria-labelledby": "docs-title" },
    el("h2", { id: "docs-title" }, t("docs.title")),
    el("ul", { class: "documents" }, documents.map(item)));
}
