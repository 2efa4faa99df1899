import { getNamedType, GraphQLBoolean, GraphQLFloat, GraphQLInt, isEnumType, isObjectType, type GraphQLField, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";

/**
 * Two changes to how type-graphql runs resolvers, made once the schema is built. Neither changes
 * what a resolver receives or returns; both pay on a page of leads with their nested lists (150
 * list and 250 `Followup.lead` resolver calls per request; bench/RESULTS.md). Both read
 * type-graphql's internals, so its version is pinned exactly and test/unit/resolver-fast-paths.spec.ts
 * fails when they change.
 */

type ParamMetadata = NonNullable<ReturnType<typeof getMetadataStorage>["fieldResolvers"][number]["params"]>[number];
type Getter = (root: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/**
 * type-graphql's resolvers call `params.sort(byIndex)` on their parameter list at every call, and
 * V8's sort allocates a work array each time. The lists are sorted here once and given a `sort`
 * that keeps them as they are; the order read is the same.
 */
export function sortResolverParamsOnce(): void {
  const storage = getMetadataStorage();
  const all = [...storage.queries, ...storage.mutations, ...storage.subscriptions, ...storage.fieldResolvers, ...storage.fields];
  for (const { params } of all) {
    if (!params || Object.hasOwn(params, "sort")) continue;
    params.sort((a, b) => a.index - b.index);
    Object.defineProperty(params, "sort", { value: sortedAlready, configurable: true });
  }
}

function sortedAlready<T>(this: T[]): T[] {
  return this;
}

/**
 * A `@FieldResolver` of a resolver class with no middleware, whose parameters are only `@Root()`,
 * `@Ctx()`, `@Info()` and `@Arg`s of enum, Int, Float or Boolean type, is called directly:
 * type-graphql's wrapper built a resolver-data object, a middleware dispatcher and a parameter
 * array per call, ran `@Authorized` as three async functions, and awaited the argument validator
 * even for an enum list, which neither class-validator nor the text check (src/common/validation.ts)
 * can reject. `@Authorized(…)` is kept: `authorize` is the schema's auth checker, called
 * synchronously with the same roles before the method. A root that is not an instance of its class
 * (type-graphql would convert it) goes to type-graphql's own resolver. The resolver classes hold no
 * state, so one instance of each serves. Global middlewares would be skipped, so with any this
 * refuses to start. Returns the fields so resolved (`Type.field`);
 * test/unit/resolver-fast-paths.spec.ts names the ones that must be.
 */
export function resolveSimpleFieldsDirectly(
  schema: GraphQLSchema,
  globalMiddlewares: readonly unknown[] | undefined,
  authorize: (context: unknown, roles: readonly unknown[]) => void,
): string[] {
  if (globalMiddlewares?.length)
    throw new Error("resolveSimpleFieldsDirectly: the schema has global middlewares, which the direct calls would skip; remove them or this fast path");
  const storage = getMetadataStorage();
  const direct: string[] = [];
  for (const meta of storage.fieldResolvers) {
    if (meta.kind !== "external" || meta.middlewares?.length || !meta.getObjectType) continue;
    const roles = meta.roles; // type-graphql checks even an empty list (`@Authorized()`: signed in)
    const objectClass = meta.getObjectType();
    const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    if (!isObjectType(type)) continue;
    const field = type.getFields()[meta.schemaName];
    const original = field?.resolve;
    if (!field || !original) continue;

    const params = [...(meta.params ?? [])].sort((a, b) => a.index - b.index);
    const getters = params.map((p) => getterOf(p, field));
    if (!getters.every((g): g is Getter => g !== undefined)) continue;
    const rootParam = params.find((p): p is Extract<ParamMetadata, { kind: "root" }> => p.kind === "root");
    const rootClass = rootParam?.getType?.();
    const instance = new (meta.target as new () => Record<string, (...args: unknown[]) => unknown>)();
    const method = instance[meta.methodName];

    const resolve: GraphQLFieldResolver<unknown, unknown> = (root, args, context, info) => {
      if (typeof rootClass === "function" && root != null && !(root instanceof rootClass)) return original(root, args, context, info);
      if (roles) authorize(context, roles);
      const values = new Array<unknown>(getters.length);
      for (let i = 0; i < getters.length; i++) values[i] = getters[i](root, args, context, info);
      return method.apply(instance, values);
    };
    field.resolve = resolve;
    direct.push(`${type.name}.${field.name}`);
  }
  return direct;
}

function getterOf(param: ParamMetadata, field: GraphQLField<unknown, unknown>): Getter | undefined {
  switch (param.kind) {
    case "root":
      return param.propertyName ? undefined : (root) => root;
    case "context": {
      const property = param.propertyName;
      return property ? (_r, _a, context) => (context as Record<string, unknown>)[property] : (_r, _a, context) => context;
    }
    case "info":
      return (_r, _a, _c, info) => info;
    case "arg": {
      const arg = field.args.find((a) => a.name === param.name);
      const named = arg && getNamedType(arg.type);
      const unvalidatable = named && (isEnumType(named) || named === GraphQLInt || named === GraphQLFloat || named === GraphQLBoolean);
      if (!unvalidatable || param.validateFn) return undefined;
      const name = param.name;
      return (_r, args) => args[name];
    }
    default:
      return undefined;
  }
}
