// Money is shown straight from the API's decimal strings: Intl.NumberFormat formats a numeric
// string exactly (no float conversion), and the API already gives every total.
import { locale } from "./i18n.js";

export function money(amount, currency) {
  return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(String(amount));
}

/// A decimal string in hundredths (BigInt), to compare amounts without floats.
export function cents(amount) {
  const [units, part = ""] = String(amount).split(".");
  return BigInt(units + part.padEnd(2, "0").slice(0, 2));
}

export function rate(percent) {
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(String(percent))} %`;
}

export function dateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeStyle: "short" }).format(d);
}

export function country(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/// A small element builder, so pages never assemble HTML from API strings.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
