// Written at deploy (README, "Deploy"): the API's address (empty: same origin, as on the
// devserver) and the seller's brand (empty name: unbranded).
export const API_BASE = "";
export const BRAND = { name: "", logo_url: "", colour: "" };
