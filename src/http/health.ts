import type { Router } from "express";
import type { DataSource } from "typeorm";

const READY_TIMEOUT_MS = 2000;

/** `/healthz`: the process runs. `/readyz`: the database answers (503 with a reason while it does not). */
export function mountHealth(router: Router, dataSource: DataSource) {
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    try {
      await withTimeout(dataSource.query("SELECT 1"), READY_TIMEOUT_MS);
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
