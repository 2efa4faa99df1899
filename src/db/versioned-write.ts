import { QueryFailedError, type EntityManager, type QueryDeepPartialEntity } from "typeorm";
import { conflict, notFound, versionConflict } from "../common/errors";

/** The columns of an org's row that the write path itself maintains. */
export interface VersionedRow {
  id: string;
  orgId: string;
  version: number;
  lastUpdatedOn: Date;
  lastUpdatedBy: string;
}

type EntityClass<T> = new () => T;

/** A new row's audit columns: created and last updated by `actor` at `now`, version 1. */
export function newVersionedRow(actor: string, now: Date) {
  return { createdOn: now, createdBy: actor, lastUpdatedOn: now, lastUpdatedBy: actor, version: 1 };
}

/** What a write changes; the service says what, `updateVersioned` how. */
export interface RowChange<T> {
  /** Values to store. */
  changes: Partial<T>;
  /**
   * Columns computed by the UPDATE itself from the row as it is (`:name` parameters from `params`),
   * so that concurrent writers each apply to what the other left; read back into the row.
   */
  computed?: Partial<Record<keyof T & string, string>>;
  params?: Record<string, unknown>;
}

export interface RowRef {
  org: string;
  id: string;
  /** The version the caller read; another one is CONFLICT. */
  expectedVersion?: number | null;
}

/**
 * The one way a versioned row changes, inside the caller's transaction: lock the org's row (so
 * concurrent writers queue instead of losing updates; NOT_FOUND when there is none), check
 * `expectedVersion`, read the clock (writers queued on the lock then stamp `lastUpdatedOn` in
 * version order), let `decide` say what changes, then UPDATE guarded by the version read, bumping
 * `version` and setting `lastUpdatedOn` / `lastUpdatedBy`. Returns the row as written and the
 * instant it was written at.
 */
export async function updateVersioned<T extends VersionedRow>(
  tx: EntityManager,
  entity: EntityClass<T>,
  ref: RowRef,
  actor: string,
  decide: (row: T, now: Date) => RowChange<T> | Promise<RowChange<T>>,
): Promise<{ row: T; now: Date }> {
  const metadata = tx.connection.getMetadata(entity);
  const row = await tx
    .getRepository(entity)
    .createQueryBuilder("row")
    .setLock("pessimistic_write")
    .where("row.id = :id AND row.orgId = :org", { id: ref.id, org: ref.org })
    .getOne();
  if (!row) throw notFound(metadata.name);
  if (ref.expectedVersion != null && ref.expectedVersion !== row.version) throw versionConflict(row.version);
  const now = new Date();
  const change = await decide(row, now);
  const { changes, params = {} } = change;
  const computed: Partial<Record<string, string>> = change.computed ?? {};

  const set: Record<string, unknown> = { ...changes, lastUpdatedOn: now, lastUpdatedBy: actor, version: () => "version + 1" };
  const computedProps = Object.keys(computed);
  for (const prop of computedProps) set[prop] = () => computed[prop]!;
  const query = tx
    .createQueryBuilder()
    .update(entity)
    .set(set as QueryDeepPartialEntity<T>)
    .where("id = :id AND org_id = :org AND version = :version")
    .setParameters({ ...params, id: row.id, org: row.orgId, version: row.version });
  const columns = computedProps.map((prop) => metadata.findColumnWithPropertyName(prop)!.databaseName);
  if (columns.length) query.returning(columns.map((c) => `"${c}"`).join(", "));
  const result = await query.execute();
  if (result.affected !== 1) throw conflict(`The ${metadata.name.toLowerCase()} was changed concurrently; retry`);

  const readBack: Record<string, unknown> = {};
  if (columns.length) {
    const rows = (Array.isArray(result.raw[0]) ? result.raw[0] : result.raw) as Array<Record<string, unknown>>;
    computedProps.forEach((prop, i) => (readBack[prop] = rows[0][columns[i]]));
  }
  Object.assign(row, changes, readBack, { lastUpdatedOn: now, lastUpdatedBy: actor, version: row.version + 1 });
  return { row, now };
}

/** An insert that a unique index may refuse: the violation becomes CONFLICT with `message`. */
export async function insertUnique(insert: () => Promise<unknown>, message: string): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message);
    throw err;
  }
}

/** PostgreSQL's unique_violation (23505), however TypeORM wrapped it. */
export function isUniqueViolation(err: unknown): boolean {
  const code = err instanceof QueryFailedError ? (err.driverError as { code?: string }).code : (err as { code?: string } | null)?.code;
  return code === "23505";
}
