// Where the API is. Empty: the same origin (the devserver serves both). A deployment writes
// the stack's ApiUrl here without its trailing slash, and the seller's brand from the stack's
// BrandName, BrandLogoUrl and BrandColour parameters (README, "Deploy"; docs/shopper-pages.md).
export const API_BASE = "";
// Empty name: the pages keep their generic title ("Paiement de commande") and colours.
export const BRAND = { name: "", logo_url: "", colour: "" };
