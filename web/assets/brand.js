// The seller's brand on every page (web/assets/config.js BRAND, written at deploy): the
// header shows the logo or the name, the accent colour follows the brand. Applied again after
// each language switch, which rewrites the header's text.
import { BRAND } from "./config.js";

const COLOUR = /^#[0-9a-fA-F]{6}$/;

export function applyBrand() {
  if (BRAND.colour && COLOUR.test(BRAND.colour)) {
    document.documentElement.style.setProperty("--brand", BRAND.colour);
  }
  const name = (BRAND.name || "").trim();
  if (!name) return;
  const link = document.querySelector("header.site .brand");
  if (!link) return;
  link.textContent = "";
  if (BRAND.logo_url && BRAND.logo_url.startsWith("https://")) {
    const logo = document.createElement("img");
    logo.src = BRAND.logo_url;
    logo.alt = name;
    logo.className = "brand-logo";
    link.append(logo);
  } else {
    link.textContent = name;
  }
  if (!document.title.endsWith(` · ${name}`)) document.title = `${document.title} · ${name}`;
}
