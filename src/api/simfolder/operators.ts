/** The operator methods: operatorList (the operators of the user's cards), operatorEdit (admin only). */
import { Schema } from "effect";
import { method, type Method } from "./context";
import { ApiError } from "./errors";
import { CARD_FILTER, Checked, optional, required, RequiredText, Text } from "./params";
import { cardsQuery } from "./scope";

/** An operator's USSD code; empty clears it. */
const UssdCode = Checked(Text(40), (code) => (/^[0-9*#]{2,40}$/.test(code) ? null : "must be a USSD code (digits, * and #)"));

const OperatorEditParams = Schema.Struct({
  name: required(RequiredText(100), "operator name"),
  balance_ussd: optional(UssdCode, "the USSD code that asks for the balance; empty clears it"),
  number_ussd: optional(UssdCode, "the USSD code that asks for the SIM's own number; empty clears it"),
});

/** Refuses every user but the admin before the parameters are looked at: their rights come first. */
const adminOnly = (why: string, m: Method): Method =>
  Object.assign(
    async (...[ctx, user, params]: Parameters<Method>) => {
      if (!user.admin) throw new ApiError("FORBIDDEN", why);
      return m(ctx, user, params);
    },
    { params: m.params },
  );

const editOperator = method(OperatorEditParams, async (ctx, _user, params) => {
  const name = params.name;
  const codes: { balance_ussd?: string | null; number_ussd?: string | null } = {};
  for (const field of ["balance_ussd", "number_ussd"] as const) if (params[field] !== undefined) codes[field] = params[field];
  const row = await ctx.db
    .insertInto("operators")
    .values({ name, ...codes })
    .onConflict((oc) => oc.column("name").doUpdateSet(codes.balance_ussd === undefined && codes.number_ussd === undefined ? { name } : codes))
    .returningAll()
    .executeTakeFirstOrThrow();
  return { operator: { operator_id: row.id, name: row.name, balance_ussd: row.balance_ussd, number_ussd: row.number_ussd } };
});

export const operatorEdit = adminOnly("operators are shared: only the admin user edits them", editOperator);

export const operatorList = method(Schema.Struct(CARD_FILTER), async (ctx, user, params) => {
  const cards = await (await cardsQuery(ctx, user, params)).execute();
  const names = [...new Set(cards.map((c) => c.operator).filter((o): o is string => o !== null))].sort();
  const known = await ctx.db.selectFrom("operators").selectAll().execute();
  return {
    operators: names.map((name) => {
      const op = known.find((k) => k.name.toLowerCase() === name.toLowerCase());
      return { operator_id: op?.id ?? null, name, cards: cards.filter((c) => c.operator === name).length, balance_ussd: op?.balance_ussd ?? null, number_ussd: op?.number_ussd ?? null };
    }),
  };
});
