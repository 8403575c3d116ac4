/** The operator methods: operatorList (the operators of the user's cards), operatorEdit (admin only). */
import type { Method } from "./context";
import { ApiError, bad, text } from "./params";
import { cardsQuery } from "./scope";

export const operatorEdit: Method = async (ctx, user, params) => {
  if (!user.admin) throw new ApiError("FORBIDDEN", "operators are shared: only the admin user edits them");
  const name = text(params, "name", { required: true, max: 100 })!;
  const codes: { balance_ussd?: string | null; number_ussd?: string | null } = {};
  for (const field of ["balance_ussd", "number_ussd"] as const) {
    if (!params.has(field)) continue;
    const code = text(params, field, { max: 40 }) ?? null;
    if (code !== null && !/^[0-9*#]{2,40}$/.test(code)) bad(field, "must be a USSD code (digits, * and #)");
    codes[field] = code;
  }
  const row = await ctx.db
    .insertInto("operators")
    .values({ name, ...codes })
    .onConflict((oc) => oc.column("name").doUpdateSet(codes.balance_ussd === undefined && codes.number_ussd === undefined ? { name } : codes))
    .returningAll()
    .executeTakeFirstOrThrow();
  return { operator: { operator_id: row.id, name: row.name, balance_ussd: row.balance_ussd, number_ussd: row.number_ussd } };
};

export const operatorList: Method = async (ctx, user, params) => {
  const cards = await (await cardsQuery(ctx, user, params)).execute();
  const names = [...new Set(cards.map((c) => c.operator).filter((o): o is string => o !== null))].sort();
  const known = await ctx.db.selectFrom("operators").selectAll().execute();
  return {
    operators: names.map((name) => {
      const op = known.find((k) => k.name.toLowerCase() === name.toLowerCase());
      return { operator_id: op?.id ?? null, name, cards: cards.filter((c) => c.operator === name).length, balance_ussd: op?.balance_ussd ?? null, number_ussd: op?.number_ussd ?? null };
    }),
  };
};
