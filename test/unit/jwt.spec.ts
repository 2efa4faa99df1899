import jwt from "jsonwebtoken";
import { DomainError } from "../../src/common/errors";
import { signToken, verifyToken } from "../../src/auth/jwt";

const SECRET = "unit-secret-0123456789abcdef0123456789";
const OTHER = "other-secret-0123456789abcdef012345678";

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("UNAUTHENTICATED");
    return (err as DomainError).message;
  }
  throw new Error("expected UNAUTHENTICATED");
}

describe("verifyToken", () => {
  afterEach(() => jest.useRealTimers());

  it("reads the actor, org and scopes", () => {
    const token = signToken({ sub: "till-7", org: "acme", scopes: ["leads:read", "followups:read"] }, SECRET, 600);
    const principal = verifyToken(token, SECRET);
    expect(principal).toEqual({ actor: "till-7", org: "acme", scopes: new Set(["leads:read", "followups:read"]) });
    // verified once, then answered from the cache: the same principal
    expect(verifyToken(token, SECRET)).toBe(principal);
  });

  it("refuses a token once its `exp` has passed, whether it was verified before or not", () => {
    jest.useFakeTimers({ now: new Date("2026-06-01T12:00:00Z") });
    const cached = signToken({ sub: "a", org: "acme" }, SECRET, 60);
    const fresh = signToken({ sub: "b", org: "acme" }, SECRET, 60);
    expect(verifyToken(cached, SECRET).actor).toBe("a");

    jest.setSystemTime(new Date("2026-06-01T12:00:59.999Z"));
    expect(verifyToken(cached, SECRET).actor).toBe("a");

    jest.setSystemTime(new Date("2026-06-01T12:01:00Z"));
    expect(refusal(() => verifyToken(cached, SECRET))).toMatch(/expired/);
    expect(refusal(() => verifyToken(fresh, SECRET))).toMatch(/expired/);
    // and stays refused
    expect(refusal(() => verifyToken(cached, SECRET))).toMatch(/expired/);
  });

  it("a token verified with one secret is verified again under another", () => {
    const token = signToken({ sub: "a", org: "acme" }, SECRET, 600);
    expect(verifyToken(token, SECRET).org).toBe("acme");
    expect(refusal(() => verifyToken(token, OTHER))).toMatch(/not valid/);
  });

  it("refuses a token without `exp`, and keeps refusing it", () => {
    const token = jwt.sign({ sub: "a", org: "acme", scope: "leads:read" }, SECRET, { algorithm: "HS256" });
    expect(refusal(() => verifyToken(token, SECRET))).toMatch(/exp/);
    expect(refusal(() => verifyToken(token, SECRET))).toMatch(/exp/);
  });
});
