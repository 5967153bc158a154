// The seller's brand (config.js BRAND, written at deploy) on every page; i18n.js loads it
// when a name is set and runs it after each language switch, which rewrites the header.
import { BRAND } from "./config.js";

export function applyBrand() {
  if (/^#[0-9a-f]{6}$/i.test(BRAND.colour)) document.documentElement.style.setProperty("--brand", BRAND.colour);
  const name = BRAND.name.trim(), link = document.querySelector("header.site .brand");
  if (!name || !link) return;
  if (BRAND.logo_url.startsWith("https://")) {
    const logo = document.createElement("img");
    Object.assign(logo, { src: BRAND.logo_url, alt: name, className: "brand-logo" });
    link.replaceChildren(logo);
  } else link.textContent = name;
  if (!document.title.endsWith(` · ${name}`)) document.title += ` · ${name}`;
}
