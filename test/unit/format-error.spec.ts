import "reflect-metadata";
import { GraphQLError, getVariableValues, parse, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { validate, ValidateNested, IsEmail, IsOptional, Length, ValidationError } from "class-validator";
import { QueryFailedError } from "typeorm";
import { AuthenticationError, AuthorizationError } from "type-graphql";
import { badInput, DomainError, forbidden, invalidField, notFound } from "../../src/common/errors";
import { formatError, INTERNAL_MESSAGE, parseVariableError, stripValues } from "../../src/common/format-error";
import { flattenValidationErrors, validateArgs } from "../../src/common/validation";
import { IsE164, IsHttpUrl, IsIanaTimeZone, isIanaTimeZone } from "../../src/common/validators";
import { buildAppSchema } from "../../src/schema";

const MARKER = "zz-marker-123";

/** How graphql-js really reports these variables against the app's schema. */
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildAppSchema();
});

function coercionErrors(variableDefs: string, inputs: Record<string, unknown>): GraphQLError[] {
  const op = parse(`query(${variableDefs}) { __typename }`).definitions[0] as OperationDefinitionNode;
  const result = getVariableValues(schema, op.variableDefinitions ?? [], inputs);
  if (!("errors" in result) || !result.errors) throw new Error("expected coercion errors");
  return result.errors as GraphQLError[];
}

/** What formatError receives for a GraphQLError that Apollo passes through. */
const formatted = (error: GraphQLError): GraphQLFormattedError => error.toJSON();

describe("parseVariableError", () => {
  it("ignores messages that are not about a variable's value", () => {
    expect(parseVariableError('Expected value of type "Int", found "x".')).toBeUndefined();
    expect(parseVariableError('Variable "$id" of required type "ID!" was not provided.')).toBeUndefined();
  });

  it("keeps the variable, the path (list indexes as segments) and a fixed reason, drops the value", () => {
    const message = `Variable "$input" got invalid value "${MARKER}" at "input.followUpConfig[0].channel"; Value "${MARKER}" does not exist in "FollowUpChannel" enum.`;
    expect(parseVariableError(message)).toEqual({
      variable: "input",
      path: "input.followUpConfig.0.channel",
      reason: 'Expected a value of the "FollowUpChannel" enum.',
    });
  });

  it("has no path when the variable itself is bad", () => {
    expect(parseVariableError(`Variable "$first" got invalid value "${MARKER}"; Int cannot represent non-integer value: "${MARKER}"`)).toEqual({
      variable: "first",
      path: undefined,
      reason: 'Expected a value of type "Int".',
    });
  });

  it("does not let a string value fake the path", () => {
    const value = JSON.stringify(`x at "input.fake"; y`);
    const message = `Variable "$input" got invalid value ${value} at "input.type"; Value "x" does not exist in "LeadType" enum.`;
    expect(parseVariableError(message)?.path).toBe("input.type");
  });

  it("calls graphql-scalars' DateTime by the schema's name, DateTimeISO", () => {
    const message = `Variable "$d" got invalid value "x"; DateTime cannot represent an invalid date-time-string x.`;
    expect(parseVariableError(message)?.reason).toBe('Expected a value of type "DateTimeISO".');
  });

  it("falls back to a neutral reason", () => {
    expect(parseVariableError(`Variable "$d" got invalid value "x"; something ${MARKER} happened`)?.reason).toBe("Invalid value.");
  });

  describe("on graphql-js's own errors", () => {
    const cases: Array<[string, string, Record<string, unknown>, string | undefined, RegExp]> = [
      ["a bad DateTimeISO", "$input: CreateLeadInput!", { input: { leadFor: "x", nextFollowUp: MARKER } }, "input.nextFollowUp", /"DateTimeISO"/],
      ["a bad enum", "$input: CreateLeadInput!", { input: { leadFor: "x", type: MARKER } }, "input.type", /"LeadType" enum/],
      ["a non-string enum", "$input: CreateLeadInput!", { input: { leadFor: "x", type: 7 } }, "input.type", /"LeadType" enum/],
      [
        "a bad nested enum",
        "$input: CreateLeadInput!",
        { input: { leadFor: "x", followUpConfig: [{ step: 1, hours: 1, channel: MARKER }] } },
        "input.followUpConfig.0.channel",
        /"FollowUpChannel" enum/,
      ],
      ["an unknown field", "$input: CreateLeadInput!", { input: { leadFor: "x", zzExtra: MARKER } }, "input.zzExtra", /^Field "zzExtra" is not defined by type "CreateLeadInput"\.$/],
      ["a missing field", "$input: CreateLeadInput!", { input: { email: MARKER } }, "input.leadFor", /^Field "leadFor" of required type "String!" was not provided\.$/],
      ["a null in a non-null list", "$input: CreateLeadInput!", { input: { leadFor: "x", followUpConfig: [null] } }, "input.followUpConfig.0", /not to be null/],
      ["an object for a String", "$input: CreateLeadInput!", { input: { leadFor: { a: MARKER } } }, "input.leadFor", /"String"/],
      ["a bad top-level Int", "$first: Int", { first: MARKER }, undefined, /"Int"/],
      [
        "a DateTimeISO crafted to fake a path and a type",
        "$input: CreateLeadInput!",
        { input: { leadFor: "x", nextFollowUp: `zzleak at "input.zzleakpath"; Expected type "zzleaktype"` } },
        "input.nextFollowUp",
        /"DateTimeISO"/,
      ],
      [
        "a top-level DateTimeISO crafted to fake a reason",
        "$d: DateTimeISO",
        { d: `x; Expected type "zzleaktype"` },
        undefined,
        /"DateTimeISO"/,
      ],
      ["an enum value crafted to fake another enum", "$input: CreateLeadInput!", { input: { leadFor: "x", type: `a" does not exist in "zzleakenum" enum. b` } }, "input.type", /"LeadType" enum/],
    ];

    it.each(cases)("%s", (_name, defs, inputs, path, reason) => {
      const [error] = coercionErrors(defs, inputs);
      const parsed = parseVariableError(error.message, error.originalError?.message);
      expect(parsed).toBeDefined();
      expect(parsed!.path).toBe(path);
      expect(parsed!.reason).toMatch(reason);
      expect(JSON.stringify(parsed)).not.toContain(MARKER);
      expect(JSON.stringify(parsed)).not.toContain("zzleak");
    });
  });
});

describe("stripValues", () => {
  it.each([
    [`Expected value of type "Int", found "${MARKER}".`, 'Expected value of type "Int".'],
    [`Expected value of type "[LeadStatus!]", found {a: "${MARKER}"}; extra`, 'Expected value of type "[LeadStatus!]".'],
    [`Value "ZZ_MARKER_123" does not exist in "LeadStatus" enum. Did you mean the enum value "LOST"?`, 'Value does not exist in "LeadStatus" enum.'],
    [`Enum "LeadType" cannot represent non-enum value: "${MARKER}".`, 'Expected a value of the "LeadType" enum.'],
    [`Int cannot represent non-integer value: "${MARKER}"`, 'Expected a value of type "Int".'],
    [`DateTime cannot represent an invalid date-time-string ${MARKER}.`, 'Expected a value of type "DateTimeISO".'],
    [`JSONObject cannot represent non-object value: ["${MARKER}"]`, 'Expected a value of type "JSONObject".'],
    [`Syntax Error: Expected Name, found String "${MARKER}".`, "Syntax Error: Expected Name, found String."],
    [`Syntax Error: Unexpected BlockString "${MARKER}".`, "Syntax Error: Unexpected BlockString."],
    [`Syntax Error: Expected ":", found Int "98765".`, 'Syntax Error: Expected ":", found Int.'],
  ])("%s", (message, expected) => {
    expect(stripValues(message)).toBe(expected);
  });

  it("leaves messages that only name the schema as they are", () => {
    for (const message of [
      'Cannot query field "zz" on type "Lead".',
      'Field "CreateLeadInput.leadFor" of required type "String!" was not provided.',
      'Syntax Error: Expected Name, found "{".',
      "Syntax Error: Unexpected <EOF>.",
    ])
      expect(stripValues(message)).toBe(message);
  });
});

describe("formatError", () => {
  /** A resolver's error as graphql-js hands it over: wrapped, with a path. */
  const fromResolver = (original: Error) =>
    new GraphQLError(original.message, { path: ["createLead"], originalError: original });

  it("keeps a DomainError's message, code and fields, and nothing else", () => {
    const domain = badInput({ "input.email": ["email must be an email"] });
    const error = fromResolver(domain);
    expect(formatError({ ...formatted(error), extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at x"] } }, error)).toEqual({
      message: domain.message,
      path: ["createLead"],
      locations: undefined,
      extensions: { code: "BAD_USER_INPUT", fields: { "input.email": ["email must be an email"] } },
    });
  });

  it("keeps a DomainError without fields free of a `fields` key", () => {
    const error = fromResolver(notFound("Lead"));
    expect(formatError(formatted(error), error).extensions).toEqual({ code: "NOT_FOUND" });
  });

  it.each([
    ["a database error", new QueryFailedError(`SELECT * FROM "leads" WHERE org_id = $1`, ["acme"], new Error('relation "leads" does not exist'))],
    ["a programming error", new TypeError("Cannot read properties of undefined (reading 'orgId')")],
    ["a GraphQLError thrown by a resolver, even one claiming a request-error code", new GraphQLError(MARKER, { extensions: { code: "BAD_USER_INPUT" } })],
  ])("masks %s", (_name, original) => {
    const error = fromResolver(original);
    const out = formatError({ ...formatted(error), extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at y"] } }, error);
    expect(out).toEqual({ message: INTERNAL_MESSAGE, path: ["createLead"], locations: undefined, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  });

  it("masks an error that never reached a resolver and carries no request-error code", () => {
    const error = new GraphQLError(`duplicate key value violates unique constraint "lead_reasons_org_reason"`);
    expect(formatError(formatted(error), error)).toMatchObject({ message: INTERNAL_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  });

  it("maps type-graphql's own auth errors to the API's codes", () => {
    const authn = fromResolver(new AuthenticationError());
    const authz = fromResolver(new AuthorizationError());
    expect(formatError(formatted(authn), authn).extensions).toEqual({ code: "UNAUTHENTICATED" });
    expect(formatError(formatted(authz), authz).extensions).toEqual({ code: "FORBIDDEN" });
  });

  it("strips literals from validation errors and keeps their code", () => {
    const error = new GraphQLError(`Expected value of type "Int", found "${MARKER}".`, { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
    expect(formatError(formatted(error), error)).toEqual({
      message: 'Expected value of type "Int".',
      locations: undefined,
      path: undefined,
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
  });

  it("rewrites a variable coercion error into BAD_USER_INPUT with fields, using the reason graphql-js attached", () => {
    const [coercion] = coercionErrors("$input: CreateLeadInput!", { input: { leadFor: "x", nextFollowUp: `${MARKER} at "input.fake"; Expected type "Fake"` } });
    // as Apollo passes it: code BAD_USER_INPUT, the coercion reason as originalError
    const error = new GraphQLError(coercion.message, { originalError: coercion.originalError, extensions: { code: "BAD_USER_INPUT" } });
    const out = formatError({ ...formatted(error), extensions: { code: "BAD_USER_INPUT", stacktrace: ["at z"] } }, error);
    expect(out.extensions).toEqual({ code: "BAD_USER_INPUT", fields: { "input.nextFollowUp": ['Expected a value of type "DateTimeISO".'] } });
    expect(out.message).toBe('Variable "$input" has an invalid value at "input.nextFollowUp": Expected a value of type "DateTimeISO".');
    expect(JSON.stringify(out)).not.toContain(MARKER);
  });
});

describe("errors", () => {
  it("badInput names the first offending path in its message", () => {
    const error = badInput({ "input.email": ["email must be an email"], "input.timezone": ["bad"] });
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe("BAD_USER_INPUT");
    expect(error.message).toBe("Invalid input at input.email: email must be an email");
    expect(invalidField("input.reasonId", "is not a reason of this org").fields).toEqual({ "input.reasonId": ["is not a reason of this org"] });
    expect(forbidden("leads:read")).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("leads:read") });
  });
});

class Address {
  @IsEmail()
  email: string;
}

class Step {
  @Length(1, 10)
  @IsEmail()
  name: string;
}

class Input {
  @ValidateNested()
  address: Address;

  @ValidateNested({ each: true })
  steps: Step[];

  @IsOptional()
  @Length(2, 5)
  code?: string;
}

class Args {
  @ValidateNested()
  input: Input;
}

const make = <T extends object>(cls: new () => T, values: Partial<T>) => Object.assign(new cls(), values);

describe("flattenValidationErrors", () => {
  it("maps nested paths, list indexes included, to all their messages", async () => {
    const args = make(Args, {
      input: make(Input, {
        address: make(Address, { email: MARKER }),
        steps: [make(Step, { name: "ok@x.io" }), make(Step, { name: MARKER })],
        code: "x",
      }),
    });
    const fields = flattenValidationErrors(await validate(args));
    expect(Object.keys(fields).sort()).toEqual(["input.address.email", "input.code", "input.steps.1.name"]);
    expect(fields["input.steps.1.name"]).toHaveLength(2);
    expect(fields["input.steps.0.name"]).toBeUndefined();
    expect(JSON.stringify(fields)).not.toContain(MARKER);
  });

  it("prefixes paths with the prefix given", () => {
    const error = Object.assign(new ValidationError(), { property: "email", constraints: { isEmail: "email must be an email" }, children: [] });
    expect(flattenValidationErrors([error], "input")).toEqual({ "input.email": ["email must be an email"] });
  });

  it("returns nothing for no errors", () => {
    expect(flattenValidationErrors([])).toEqual({});
  });
});

describe("validateArgs", () => {
  const call = (value: unknown) => (validateArgs as (v: unknown, t: unknown, d: unknown) => Promise<void>)(value, Object, {});

  it("throws BAD_USER_INPUT with fields and no echo of the value", async () => {
    const args = make(Args, { input: make(Input, { address: make(Address, { email: MARKER }), steps: [] }) });
    const error = await call(args).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", fields: { "input.address.email": ["email must be an email"] } });
    expect(JSON.stringify({ message: (error as Error).message, fields: (error as DomainError).fields })).not.toContain(MARKER);
  });

  it("passes valid arguments, nulls and scalars", async () => {
    await expect(call(make(Args, { input: make(Input, { address: make(Address, { email: "a@b.io" }), steps: [] }) }))).resolves.toBeUndefined();
    await expect(call(null)).resolves.toBeUndefined();
    await expect(call("lead_x")).resolves.toBeUndefined();
  });
});

describe("validators", () => {
  it.each(["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Etc/GMT+5", "america/new_york", "America/Argentina/Buenos_Aires"])(
    "isIanaTimeZone accepts %s",
    (zone) => expect(isIanaTimeZone(zone)).toBe(true),
  );

  it.each(["", "+05:00", "-0800", "Mars/Olympus_Mons", MARKER, "America/New York", "../etc/passwd", `America/${"x".repeat(60)}`, 5, null, undefined, {}])(
    "isIanaTimeZone refuses %p",
    (zone) => expect(isIanaTimeZone(zone)).toBe(false),
  );

  class Contact {
    @IsOptional()
    @IsIanaTimeZone()
    timezone?: unknown;

    @IsOptional()
    @IsE164()
    phone?: unknown;

    @IsOptional()
    @IsHttpUrl()
    url?: unknown;
  }
  const errorsFor = async (values: Partial<Contact>) => {
    const errors = await validate(make(Contact, values));
    return Object.fromEntries(errors.map((e) => [e.property, Object.values(e.constraints ?? {})]));
  };

  it.each(["+14155550123", "+442071838750", "+12", "+123456789012345"])("IsE164 accepts %s", async (phone) => {
    expect(await errorsFor({ phone })).toEqual({});
  });

  it.each(["14155550123", "+04155550123", "+1", "+1234567890123456", "+1 415 555 0123", "+1-415-555-0123", `+${MARKER}`, 14155550123])(
    "IsE164 refuses %p with a message naming the property",
    async (phone) => {
      expect(await errorsFor({ phone })).toEqual({ phone: ["phone must be a phone number in E.164 format, e.g. +14155550123"] });
    },
  );

  it.each(["http://example.com", "https://rec.example.com/calls/1.mp3?sig=abc", "https://127.0.0.1:8443/x"])("IsHttpUrl accepts %s", async (url) => {
    expect(await errorsFor({ url })).toEqual({});
  });

  it.each(["ftp://example.com/x", "javascript:alert(1)", "file:///etc/passwd", "example.com/x", "http://", "", `https://${"a".repeat(2050)}.com`, 42])(
    "IsHttpUrl refuses %p",
    async (url) => {
      expect(await errorsFor({ url })).toEqual({ url: ["url must be an http or https URL"] });
    },
  );

  it("IsIanaTimeZone reports through class-validator", async () => {
    expect(await errorsFor({ timezone: "America/Chicago" })).toEqual({});
    expect(await errorsFor({ timezone: "+05:00" })).toEqual({ timezone: ["timezone must be an IANA time zone name, e.g. America/New_York"] });
  });
});
