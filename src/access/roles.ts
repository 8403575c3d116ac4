/**
 * Roles, one per user, applying to the panel and the API alike: admin (everything, users,
 * settings), operator (works the farm), viewer (reads only).
 */
export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === "string" && (ROLES as readonly string[]).includes(value);

/** What changes the farm (switching a card in, sending, USSD, calls, pools). */
export const mayWorkTheFarm = (role: Role): boolean => role === "admin" || role === "operator";

/** Users and settings. */
export const mayAdminister = (role: Role): boolean => role === "admin";
