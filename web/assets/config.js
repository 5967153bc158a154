// Where the API is. Empty: the same origin (the devserver serves both). A deployment writes
// the stack's ApiUrl here without its trailing slash (see docs/shopper-pages.md).
export const API_BASE = "";
